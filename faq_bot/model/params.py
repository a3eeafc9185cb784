"""The encoder's parameters: a small frozen value built from ``Settings`` by the caller."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Backend = Literal["auto", "torch", "onnx", "onnx-int8"]


@dataclass(frozen=True)
class EncoderParams:
    """Which model, which backend, and how it runs."""

    model_dir: Path
    backend: Backend = "auto"
    batch_size: int = 32
    max_seq_length: int = 256
    threads: int = 0  # 0: one per core
    micro_batch: bool = False  # coalesce concurrent questions into one encoder call
    max_passage_length: int | None = None  # tokens of question + answer embedded (None: max_seq_length)
