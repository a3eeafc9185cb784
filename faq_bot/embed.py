"""Dense sentence embeddings: the ``Embedder`` interface and its sentence-transformers backend."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from faq_bot.errors import ModelError

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
        if rel.startswith(".") or rel == "README.md":
            continue
        size = path.stat().st_size
        digest.update(f"{rel}:{size}\n".encode())
        if size < 4_000_000:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model folder, loaded offline on the CPU."""

    def __init__(self, model_dir: Path, batch_size: int = 32, max_seq_length: int = 256) -> None:
        if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
            raise ModelError(
                f"no sentence-transformers model in {model_dir}; run `make model` "
                "(or `faq-bot convert-model`) or set FAQ_BOT_MODEL_DIR"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

        try:
            self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean "unusable folder"
            raise ModelError(f"cannot load the model in {model_dir}: {exc}") from exc
        self._model.max_seq_length = min(max_seq_length, self._model.max_seq_length or max_seq_length)
        self._batch_size = batch_size
        self._prompts = getattr(self._model, "prompts", {}) or {}
        self._id = f"{_model_name(model_dir)}@{folder_fingerprint(model_dir)}"
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"the model in {model_dir} does not say its embedding size")
        self._dim = int(dim)

    @property
    def model_id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool = False) -> Vectors:
        kwargs: dict[str, Any] = {"prompt_name": prompt} if prompt in self._prompts else {}
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
            **kwargs,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "query")

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self._encode(texts, "passage", progress)


def _model_name(model_dir: Path) -> str:
    marker = model_dir / "faq_bot_model.json"
    if marker.is_file():
        try:
            return str(json.loads(marker.read_text(encoding="utf-8"))["model_id"])
        except (ValueError, KeyError):
            pass
    return model_dir.name
