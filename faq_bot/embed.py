"""Dense sentence embeddings: the ``Embedder`` interface and its sentence-transformers backend."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from faq_bot.errors import ModelError

if TYPE_CHECKING:
    from faq_bot.config import Settings

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


class _Identified:
    """``model_id`` and ``dim`` of a loaded model, shared by the backends."""

    _id: str
    _dim: int

    @property
    def model_id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        return self._dim


class SentenceTransformerEmbedder(_Identified):
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


class OnnxEmbedder(_Identified):
    """The same model exported to ONNX, run by ONNX Runtime directly (no torch in the process)."""

    def __init__(
        self,
        model_dir: Path,
        path: Path | None = None,
        batch_size: int = 32,
        max_seq_length: int = 256,
        threads: int = 0,
        int8: bool = False,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from faq_bot.export import onnx_path

        path = path or onnx_path(model_dir, int8)
        if not path.is_file():
            raise ModelError(f"no ONNX export at {path}; run `make model` (or `faq-bot export-onnx`)")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_seq_length)
        pad = "<pad>"
        self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id(pad) or 0, pad_token=pad)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._prompts = _prompts(model_dir)
        self._batch_size = batch_size
        # Same weights and pooling as the torch path (checked at export): the same index serves both,
        # except int8, whose vectors differ a little.
        self._id = f"{_model_name(model_dir)}@{folder_fingerprint(model_dir)}" + ("+int8" if int8 else "")
        self._int8 = int8
        self._dim = int(self.encode_raw(["x"]).shape[1])

    def encode_raw(self, texts: Sequence[str]) -> Vectors:
        """Vectors for texts taken as they are (prompts already applied)."""
        out = []
        for start in range(0, len(texts), self._batch_size):
            encoded = self.tokenizer.encode_batch(list(texts[start : start + self._batch_size]))
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            out.append(self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        if not out:
            return np.zeros((0, getattr(self, "_dim", 0)), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self.encode_raw([self._prompts.get("query", "") + t for t in texts])

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        prompted = [self._prompts.get("passage", "") + t for t in texts]
        if self._int8:  # int8 vectors depend on the padding of the batch: one text per call
            return np.concatenate([self.encode_raw([t]) for t in prompted]) if prompted else self.encode_raw([])
        return self.encode_raw(prompted)


def _prompts(model_dir: Path) -> dict[str, str]:
    path = model_dir / "config_sentence_transformers.json"
    if not path.is_file():
        return {}
    try:
        prompts = json.loads(path.read_text(encoding="utf-8")).get("prompts") or {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in prompts.items()}


def load_embedder(settings: Settings) -> Embedder:
    """The configured encoder backend; ``auto`` is ONNX fp32 when exported, else torch."""
    from faq_bot.export import is_exported

    backend = settings.encoder_backend
    if backend == "auto":
        backend = "onnx" if is_exported(settings.model_dir) else "torch"
    if backend == "torch":
        return SentenceTransformerEmbedder(settings.model_dir, settings.encode_batch_size, settings.max_seq_length)
    return OnnxEmbedder(
        settings.model_dir,
        batch_size=settings.encode_batch_size,
        max_seq_length=settings.max_seq_length,
        threads=settings.encoder_threads,
        int8=backend == "onnx-int8",
    )
