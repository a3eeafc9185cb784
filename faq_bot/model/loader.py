"""Choosing and loading the encoder backend from its parameters."""

from __future__ import annotations

from faq_bot.model.background import BackgroundEncoder
from faq_bot.model.batching import MicroBatcher
from faq_bot.model.embedder import Embedder
from faq_bot.model.onnx import OnnxEmbedder, is_exported
from faq_bot.model.params import EncoderParams
from faq_bot.model.sentence_transformer import SentenceTransformerEmbedder


def _backend(params: EncoderParams) -> str:
    if params.backend == "auto":
        return "onnx" if is_exported(params.model_dir) else "torch"
    return params.backend


def _encoder(params: EncoderParams, threads: int, like: Embedder | None = None) -> Embedder:
    """The configured encoder; ``like``: the visitors' encoder, when this one is for bulk work."""
    if _backend(params) == "torch":
        return SentenceTransformerEmbedder(params.model_dir, params.batch_size, params.max_seq_length)
    base = like.embedder if isinstance(like, MicroBatcher) else like
    return OnnxEmbedder(
        params.model_dir,
        batch_size=params.batch_size,
        max_seq_length=params.max_seq_length,
        threads=threads,
        int8=_backend(params) == "onnx-int8",
        max_passage_length=params.max_passage_length,
        tokenizer=base.tokenizer if isinstance(base, OnnxEmbedder) else None,
        keep_work_memory=like is None,
    )


def load_embedder(params: EncoderParams) -> Embedder:
    """The configured backend (``auto``: ONNX fp32 when exported, else torch), micro-batched if asked."""
    embedder = _encoder(params, params.threads)
    return MicroBatcher(embedder, params.batch_size) if params.micro_batch else embedder


def load_bulk_embedder(params: EncoderParams, interactive: Embedder) -> Embedder:
    """The encoder for bulk work (builds, batch tests) next to the visitors' ``interactive`` one.

    With ONNX: a second session created and run in a low-priority thread (``BackgroundEncoder``),
    about 90 MB more, created at once (the tokenizer is shared, the embedding table memory-mapped, and the memory
    a bulk call works in given back when it ends); with torch, the interactive encoder itself.
    """
    if _backend(params) == "torch":
        return interactive
    bulk = BackgroundEncoder(lambda: _encoder(params, params.threads, like=interactive), like=interactive)
    bulk.start()  # created now, in the background: the first publish does not grow the process
    return bulk
