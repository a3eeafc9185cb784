"""The default encoder backend: the exported model run by ONNX Runtime (no torch in the process)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from faq_bot.errors import ModelError
from faq_bot.model.embedder import IdentifiedEncoder, Vectors, folder_fingerprint, model_name, read_prompts

ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"


def onnx_path(model_dir: Path, int8: bool = False) -> Path:
    """Where the exported graph of a model folder lives."""
    return model_dir / ONNX_DIR / (INT8_FILE if int8 else FP32_FILE)


def is_exported(model_dir: Path) -> bool:
    """True when the folder has a checked fp32 export."""
    return (model_dir / ONNX_DIR / "export.json").is_file() and onnx_path(model_dir).is_file()


class OnnxEmbedder(IdentifiedEncoder):
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
        self._prompts = read_prompts(model_dir)
        self._batch_size = batch_size
        # Same weights and pooling as the torch path (checked at export): the same index serves both,
        # except int8, whose vectors differ a little.
        self._id = f"{model_name(model_dir)}@{folder_fingerprint(model_dir)}" + ("+int8" if int8 else "")
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
