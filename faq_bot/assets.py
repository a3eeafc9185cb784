"""Where the templates and static files are: the data package ``faq_bot.web``.

They live in the top-level ``web/`` folder of the checkout, which ``pyproject.toml`` maps
into the package (``package-dir``): a plain ``pip install .`` carries them too. They are
found by package name, so this works from a checkout and from an installed wheel alike.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

PACKAGE = "faq_bot.web"


def folder() -> Path:
    """The folder of the data package."""
    return Path(str(files(PACKAGE)))


def templates_dir() -> Path:
    """The Jinja2 templates."""
    return folder() / "templates"


def static_dir() -> Path:
    """CSS, the widget script and other static files."""
    return folder() / "static"


def percent(probability: float) -> str:
    """A probability, threshold or share as staff read it, to one decimal (0.4556 -> 45.6%). Every page shows
    probabilities and thresholds through this one rounding, so an answered probability never reads below its
    threshold (0.4556 once read 45.6% in a row and 46% in the summary's threshold)."""
    return f"{probability * 100:.1f}%"


@cache
def environment() -> Environment:
    """A Jinja2 environment over the templates (autoescaped; ``{{ p | percent }}``), built on first use."""
    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=select_autoescape(["html"]))
    env.filters["percent"] = percent
    return env
