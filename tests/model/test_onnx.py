from __future__ import annotations

import json
from pathlib import Path

from faq_bot.model.onnx import EXPORT_FORMAT, is_exported


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
