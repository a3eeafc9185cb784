"""The batch report's plots draw Japanese with a Japanese font, even where matplotlib listed the system's fonts
before one was installed."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from faq_bot.content.queries import read_queries
from faq_bot.quality import plots
from faq_bot.quality.evaluate import evaluate
from faq_bot.retrieval.engine import Engine
from tests.conftest import write


def _japanese_installed() -> bool:
    from matplotlib import font_manager

    return any(Path(p).stem.lower() in ("ipag", "ipagp") for p in font_manager.findSystemFonts())


@pytest.fixture
def stale_font_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's font list as cached before IPA Gothic was installed: without any Japanese font."""
    from matplotlib import font_manager

    if not _japanese_installed():
        pytest.skip("no IPA Gothic on this machine (`make test` installs fonts-ipafont-gothic)")
    listed = [f for f in font_manager.fontManager.ttflist if f.name not in plots.JAPANESE_FONTS[:-1]]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", listed)
    font_manager.fontManager._findfont_cached.cache_clear()
    plots.japanese_font_known.cache_clear()
    yield
    plots.japanese_font_known.cache_clear()
    font_manager.fontManager._findfont_cached.cache_clear()


@pytest.mark.usefixtures("stale_font_list")
def test_a_japanese_font_missing_from_the_cached_list_is_added() -> None:
    from matplotlib import font_manager

    assert not {f.name for f in font_manager.fontManager.ttflist} & set(plots.JAPANESE_FONTS[:-1])
    assert plots.japanese_font_known()
    found = font_manager.findfont(font_manager.FontProperties(family="IPAGothic"), fallback_to_default=False)
    assert Path(found).stem.lower() == "ipag"


@pytest.mark.usefixtures("stale_font_list")
def test_the_plots_draw_every_japanese_character(fake_engine: Engine, tmp_path: Path) -> None:
    queries = read_queries(write(tmp_path / "q.tsv", "query\tgold\n請求書はいつ発行されますか\t1\n関係ない話\t\n"))
    outcomes = evaluate(fake_engine, queries).outcomes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        drawn = plots.plots(outcomes, 0.5, 0.3)  # the proposed threshold's label too
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert set(drawn) == {"distribution", "tradeoff"} and not missing, missing[:3]
