"""The reference encoder backend: sentence-transformers on torch (also what the ONNX export is checked against)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from faq_bot.errors import ModelError
from faq_bot.model.embedder import IdentifiedEncoder, Vectors, folder_fingerprint, model_name


class SentenceTransformerEmbedder(IdentifiedEncoder):
    """Any sentence-transformers model folder, loaded offline on the CPU."""

    def __init__(self, model_dir: Path, batch_size: int = 32, max_seq_length: int = 256) -> None:
        if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
            raise ModelError(
                f"no sentence-transformers model in {model_dir}; run `make model` "
                "(or `faq-bot convert-model`) or set FAQ_BOT_MODEL_DIR"
            )
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
        self._id = f"{model_name(model_dir)}@{folder_fingerprint(model_dir)}"
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"the model in {model_dir} does not say its embedding size")
        self._dim = int(dim)

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
