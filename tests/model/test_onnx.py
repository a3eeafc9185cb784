from __future__ import annotations

import json
from pathlib import Path

import pytest

from faq_bot.errors import ModelError
from faq_bot.model.onnx import BATCH_TOKENS, EXPORT_FORMAT, INT8_FILE, INT8_FORMAT, OnnxEmbedder, _batches, is_exported


def test_an_export_of_an_older_format_counts_as_not_exported(tmp_path: Path) -> None:
    onnx = tmp_path / "onnx"
    onnx.mkdir()
    assert not is_exported(tmp_path)
    (onnx / "model.onnx").write_bytes(b"graph")
    (onnx / "export.json").write_text(json.dumps({"int8": True}), encoding="utf-8")  # format 1: unfused
    assert not is_exported(tmp_path)  # `make model` exports it again
    (onnx / "export.json").write_text(json.dumps({"format": EXPORT_FORMAT}), encoding="utf-8")
    assert is_exported(tmp_path)
    (onnx / "export.json").write_text("{broken", encoding="utf-8")
    assert not is_exported(tmp_path)


def test_an_int8_copy_quantised_per_tensor_counts_as_not_exported(tmp_path: Path) -> None:
    onnx = tmp_path / "onnx"
    onnx.mkdir()
    (onnx / "model.onnx").write_bytes(b"graph")
    (onnx / INT8_FILE).write_bytes(b"graph")
    (onnx / "export.json").write_text(json.dumps({"format": EXPORT_FORMAT, "int8": True}), encoding="utf-8")
    assert is_exported(tmp_path)  # the fp32 graph is current ...
    assert not is_exported(tmp_path, int8=True)  # ... its int8 copy (format 1) is exported again
    with pytest.raises(ModelError, match="make model"):  # not served under the new copy's identity
        OnnxEmbedder(tmp_path, int8=True)
    (onnx / "export.json").write_text(json.dumps({"format": EXPORT_FORMAT, "int8": INT8_FORMAT}), encoding="utf-8")
    assert is_exported(tmp_path, int8=True)
    later = {"format": EXPORT_FORMAT, "int8": INT8_FORMAT + 1}  # a later copy: other vectors, not ours to serve
    by_hand = [{"format": EXPORT_FORMAT, "int8": "2"}, {"format": EXPORT_FORMAT, "int8": {}},
               {"format": "2", "int8": INT8_FORMAT}, {"format": True}, [EXPORT_FORMAT]]  # fmt: skip
    for made in (later, *by_hand):  # edited by hand: no crash either
        (onnx / "export.json").write_text(json.dumps(made), encoding="utf-8")
        assert not is_exported(tmp_path, int8=True), made
    (onnx / "export.json").write_text(json.dumps({"format": EXPORT_FORMAT, "int8": INT8_FORMAT}), encoding="utf-8")
    (onnx / INT8_FILE).unlink()
    assert not is_exported(tmp_path, int8=True)


def test_batches_hold_many_short_texts_but_few_long_ones() -> None:
    lengths = [20] * 40 + [256] * 10  # questions, then long passages
    batches = _batches(range(len(lengths)), lengths, size=32)
    assert [i for b in batches for i in b] == list(range(len(lengths)))  # every text once, in order
    assert len(batches[0]) == 32  # short texts: the batch size is the limit
    long = [b for b in batches if lengths[b[0]] == 256]
    assert long and all(len(b) * 256 <= BATCH_TOKENS for b in long)
    assert all(len(b) == BATCH_TOKENS // 256 for b in long[:-1])  # as many as the budget allows


def test_a_text_longer_than_the_budget_still_gets_a_batch_of_its_own() -> None:
    assert _batches([0, 1], [BATCH_TOKENS * 2, BATCH_TOKENS * 2], size=32) == [[0], [1]]
