"""Choosing and loading the encoder backend from its parameters."""

from __future__ import annotations

import os

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


def _encoder(params: EncoderParams, threads: int, like: Embedder | None = None, bulk: bool = True) -> Embedder:
    """The configured encoder; ``like``: the visitors' encoder, whose tokenizer it shares, and unless ``bulk``
    is False this one is for bulk work (it gives back the memory a call worked in)."""
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
        keep_work_memory=like is None or not bulk,
    )


def load_embedder(params: EncoderParams) -> Embedder:
    """The configured backend (``auto``: ONNX fp32 when exported, else torch), micro-batched if asked.

    Micro-batched with ONNX on several cores, batches under load also run one per core side by side
    on a second session of one thread (~85 MB more; the tokenizer is shared).
    """
    embedder = _encoder(params, params.threads)
    if not params.micro_batch:
        return embedder
    cores = params.threads or os.cpu_count() or 1
    if not isinstance(embedder, OnnxEmbedder) or cores < 2:
        return MicroBatcher(embedder, params.batch_size)
    lane = _encoder(params, 1, like=embedder, bulk=False)
    return MicroBatcher(embedder, params.batch_size, lane=lane, lanes=cores)


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
