"""The default encoder backend: the exported model run by ONNX Runtime (no torch in the process)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faq_bot.errors import ModelError
from faq_bot.model.embedder import IdentifiedEncoder, Vectors, folder_fingerprint, model_name, read_prompts

if TYPE_CHECKING:
    from tokenizers import Tokenizer

ONNX_DIR = "onnx"
#: Padded tokens per encoder call at most: long passages go in small batches, which run faster
#: (their work fits the CPU's caches: 300 passages of up to 256 tokens encode 25-35 % faster four
#: at a time than 32 at a time, measured from 512 to 2048 tokens a call), and questions of up to
#: 32 tokens still go 32 at a time. It also bounds the memory one call works in, so a burst of
#: long messages cannot grow the arena (the visitors' encoder keeps one) beyond a call of this size.
BATCH_TOKENS = 1024
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"


def onnx_path(model_dir: Path, int8: bool = False) -> Path:
    """Where the exported graph of a model folder lives."""
    return model_dir / ONNX_DIR / (INT8_FILE if int8 else FP32_FILE)


#: The export format this code makes (``faq_bot.model.export.FORMAT``): 2 = fused attention.
EXPORT_FORMAT = 2
#: The int8 copy's format (``export.json``'s ``int8``; ``faq_bot.model.export.quantize``): 2 = weights
#: quantised per output channel, the feed-forward down-projections left in float (1 = per tensor, every
#: MatMul: cosine to fp32 ~0.988, its vectors moved answers by points; a true there is 1).
INT8_FORMAT = 2


def is_exported(model_dir: Path, int8: bool = False) -> bool:
    """True when the folder has a checked fp32 export of the current format (``int8``: and an int8 copy of the
    format this code serves: another's vectors are other vectors, under the same model id)."""
    info = model_dir / ONNX_DIR / "export.json"
    try:
        made = json.loads(info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(made, dict) or not onnx_path(model_dir).is_file():
        return False
    fp32, copy = made.get("format", 1), made.get("int8")
    if type(fp32) is not int or fp32 < EXPORT_FORMAT:  # (a bool is no format)
        return False
    return not int8 or (type(copy) is int and copy == INT8_FORMAT and onnx_path(model_dir, int8=True).is_file())


class OnnxEmbedder(IdentifiedEncoder):
    """The same model exported to ONNX, run by ONNX Runtime directly (no torch in the process).

    Texts are tokenised once, sorted by length and cut into batches of similar length, so
    a batch is padded to its own longest text, not to the longest of the call: a FAQ's
    passages range from 10 to 256 tokens, and padding was most of the work.
    """

    def __init__(
        self,
        model_dir: Path,
        path: Path | None = None,
        batch_size: int = 32,
        max_seq_length: int = 256,
        threads: int = 0,
        int8: bool = False,
        max_passage_length: int | None = None,
        *,
        tokenizer: Tokenizer | None = None,
        keep_work_memory: bool = True,
    ) -> None:
        """``tokenizer``: another encoder's, shared (a tokenizer of this vocabulary is ~280 MB);
        ``keep_work_memory=False``: give back the memory a call worked in when it ends (for bulk
        encoders, whose batches of long passages would otherwise keep hundreds of MB)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if path is None and int8 and not is_exported(model_dir, int8=True):
            raise ModelError(
                f"no int8 export of the current format in {model_dir / ONNX_DIR}; run `make model` "
                "(or `faq-bot export-onnx`)"
            )
        path = path or onnx_path(model_dir, int8)
        if not path.is_file():
            raise ModelError(f"no ONNX export at {path}; run `make model` (or `faq-bot export-onnx`)")
        self.tokenizer = tokenizer or Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self._pad_id = self.tokenizer.token_to_id("<pad>") or 0
        self._max_length = max_seq_length
        self._max_passage_length = min(max_passage_length or max_seq_length, max_seq_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.enable_cpu_mem_arena = keep_work_memory
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._prompts = read_prompts(model_dir)
        self._batch_size = batch_size
        # Same weights and pooling as the torch path (checked at export): the same index serves both,
        # except int8, whose vectors differ a little, and shorter passages, which are other vectors.
        suffix = (f"+int8-{INT8_FORMAT}" if int8 else "") + (
            f"+p{self._max_passage_length}" if self._max_passage_length < max_seq_length else ""
        )
        self._id = f"{model_name(model_dir)}@{folder_fingerprint(model_dir)}{suffix}"
        self._int8 = int8
        self._dim = int(self.encode_raw(["x"]).shape[1])

    def encode_raw(self, texts: Sequence[str], max_length: int | None = None) -> Vectors:
        """Vectors for texts taken as they are (prompts already applied), cut at ``max_length`` tokens."""
        if not texts:
            return np.zeros((0, getattr(self, "_dim", 0)), dtype=np.float32)
        limit = max_length or self._max_length
        encoded = self.tokenizer.encode_batch(list(texts))
        tokens = [_truncated(e.ids, limit) for e in encoded]
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
        out: Vectors | None = None
        # int8 vectors depend on the batch they are computed in (activations are quantised per
        # tensor): one text per call keeps a text's vector the same whatever else is encoded.
        size = 1 if self._int8 else self._batch_size
        for chunk in _batches(order, [len(t) for t in tokens], size):
            width = len(tokens[chunk[-1]])
            ids = np.full((len(chunk), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(tokens[i])] = tokens[i]
                mask[row, : len(tokens[i])] = 1
            inputs = {"input_ids": ids, "attention_mask": mask}
            vectors = self.session.run(None, inputs)[0]
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[chunk] = vectors
        assert out is not None
        return np.ascontiguousarray(out, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self.encode_raw([self._prompts.get("query", "") + t for t in texts])

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self.encode_raw([self._prompts.get("passage", "") + t for t in texts], self._max_passage_length)


def _batches(order: Sequence[int], lengths: Sequence[int], size: int) -> list[list[int]]:
    """``order`` (shortest first) cut into batches of at most ``size`` texts and ``BATCH_TOKENS`` padded tokens."""
    batches: list[list[int]] = []
    chunk: list[int] = []
    for i in order:
        if chunk and (len(chunk) >= size or (len(chunk) + 1) * lengths[i] > BATCH_TOKENS):
            batches.append(chunk)
            chunk = []
        chunk.append(i)
    if chunk:
        batches.append(chunk)
    return batches


def _truncated(ids: list[int], limit: int) -> list[int]:
    """At most ``limit`` tokens, the closing special token kept (what the tokenizer's own truncation does)."""
    return ids if len(ids) <= limit else [*ids[: limit - 1], ids[-1]]
