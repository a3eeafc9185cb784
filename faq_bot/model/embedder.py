"""Dense sentence embeddings: the ``Embedder`` interface every encoder backend implements."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; queries and passages may be prompted apart."""

    @property
    def model_id(self) -> str:
        """Identifies the model's weights and tokenizer (goes into the index manifest)."""
        ...

    @property
    def dim(self) -> int:
        """Vector length."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """Vectors for visitor questions."""
        ...

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        """Vectors for FAQ texts."""
        ...


def folder_fingerprint(folder: Path) -> str:
    """A cheap identity of a model folder: small files by content, large files by name and size."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith((".", "onnx/")) or rel == "README.md":  # exports are derived, not the model
            continue
        size = path.stat().st_size
        digest.update(f"{rel}:{size}\n".encode())
        if size < 4_000_000:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class IdentifiedEncoder:
    """``model_id`` and ``dim`` of a loaded model, shared by the backends."""

    _id: str
    _dim: int

    @property
    def model_id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        return self._dim


def model_name(model_dir: Path) -> str:
    """The model's name: from the conversion marker, else the folder name."""
    marker = model_dir / "faq_bot_model.json"
    if marker.is_file():
        try:
            return str(json.loads(marker.read_text(encoding="utf-8"))["model_id"])
        except (ValueError, KeyError):
            pass
    return model_dir.name


def read_prompts(model_dir: Path) -> dict[str, str]:
    """The query/passage prompts configured in a sentence-transformers folder."""
    path = model_dir / "config_sentence_transformers.json"
    if not path.is_file():
        return {}
    try:
        prompts = json.loads(path.read_text(encoding="utf-8")).get("prompts") or {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in prompts.items()}
