"""Choosing and loading the encoder backend from its parameters."""

from __future__ import annotations

from faq_bot.model.batching import MicroBatcher
from faq_bot.model.embedder import Embedder
from faq_bot.model.onnx import OnnxEmbedder, is_exported
from faq_bot.model.params import EncoderParams
from faq_bot.model.sentence_transformer import SentenceTransformerEmbedder


def load_embedder(params: EncoderParams) -> Embedder:
    """The configured backend (``auto``: ONNX fp32 when exported, else torch), micro-batched if asked."""
    backend = params.backend
    if backend == "auto":
        backend = "onnx" if is_exported(params.model_dir) else "torch"
    embedder: Embedder
    if backend == "torch":
        embedder = SentenceTransformerEmbedder(params.model_dir, params.batch_size, params.max_seq_length)
    else:
        embedder = OnnxEmbedder(
            params.model_dir,
            batch_size=params.batch_size,
            max_seq_length=params.max_seq_length,
            threads=params.threads,
            int8=backend == "onnx-int8",
        )
    return MicroBatcher(embedder, params.batch_size) if params.micro_batch else embedder
