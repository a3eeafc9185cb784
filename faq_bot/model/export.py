"""Exporting the sentence-transformers model to ONNX (fp32, and dynamic int8) for ONNX Runtime.

The graph is the transformer plus mean pooling and L2 normalisation, so ONNX
Runtime returns the same vectors as sentence-transformers (checked on export).
The transformer is traced with its plain ("eager") attention, which ONNX Runtime's
transformer optimizer recognises and fuses (one Attention op per layer, fused layer
norms): the same vectors (cosine ≥ 0.99999 against the unfused graph), about 8 %
faster per question and 20 % faster on passages. (Traced with transformers' SDPA
attention, the mask code is baked into the graph and drifts, cosine ~0.99.)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from faq_bot.errors import ModelError
from faq_bot.model.onnx import EXPORT_FORMAT, FP32_FILE, INT8_FILE, INT8_FORMAT, ONNX_DIR, OnnxEmbedder

#: Sentences every export is checked on against the torch model.
CHECK_SENTENCES = [
    "query: 請求書はダウンロードできますか",
    "query: クレジットカードは使えますか？",
    "passage: 見積書をPDFで出力できます。\n①商品を選択します。",
    "query: How do I change my password?",
    "query: みつもりしょ",
]


#: What ``export.json`` says of an export made this way; an older one is exported again by ``make model``.
FORMAT = EXPORT_FORMAT


def _torch_module(model_dir: Path) -> Any:
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        """Transformer + mean pooling over the mask + L2 normalisation (sentence-transformers' modules)."""

        def __init__(self) -> None:
            super().__init__()
            # Eager attention: the graph ONNX Runtime's optimizer fuses (SDPA's is not recognised).
            self.encoder = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    return Pooled().eval()  # eval: no dropout, and torch.export does not warn about training mode


def export(model_dir: Path, int8: bool = True) -> Path:
    """Write ``onnx/model.onnx`` (and ``model-int8.onnx``) into the model folder, atomically."""
    import torch
    from tokenizers import Tokenizer

    torch.set_num_threads(1)  # torch and ONNX Runtime thread pools fight otherwise
    module = _torch_module(model_dir)
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_padding(pad_id=tok.token_to_id("<pad>") or 1, pad_token="<pad>")
    sample = tok.encode_batch(["query: 例文です", "query: もう少し長い例文をここに書きます"])
    ids = torch.tensor([e.ids for e in sample], dtype=torch.int64)
    mask = torch.tensor([e.attention_mask for e in sample], dtype=torch.int64)
    out_dir = model_dir / ONNX_DIR
    tmp = Path(tempfile.mkdtemp(prefix=".onnx-", dir=model_dir))
    try:
        traced = tmp / "traced.onnx"
        axes = {0: "batch", 1: "seq"}
        torch.onnx.export(
            module,
            (ids, mask),
            str(traced),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "sentence_embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        _fused(traced, tmp / FP32_FILE, model_dir)
        for leftover in tmp.glob("traced.onnx*"):
            leftover.unlink()
        _check(tmp / FP32_FILE, model_dir, module, min_cosine=0.9999)
        if int8:
            quantize(tmp / FP32_FILE, tmp / INT8_FILE)
            _check(tmp / INT8_FILE, model_dir, module, min_cosine=0.995)
        info = {"format": FORMAT, "int8": INT8_FORMAT if int8 else 0, "torch": torch.__version__}
        (tmp / "export.json").write_text(json.dumps(info), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir / FP32_FILE


def _fused(traced: Path, out: Path, model_dir: Path) -> None:
    """The traced graph with attention, layer norms and GELU fused by ONNX Runtime's transformer optimizer."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    model = optimize_model(
        str(traced), model_type="bert", num_heads=config["num_attention_heads"], hidden_size=config["hidden_size"]
    )
    fused = model.get_fused_operator_statistics()
    if not fused.get("Attention"):
        raise ModelError(f"ONNX Runtime did not fuse the attention of the exported graph: {fused}")
    model.save_model_to_file(str(out), use_external_data_format=True)


def quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation of the weights (activations are quantised per call), format ``INT8_FORMAT``.

    Weights per output channel, and only the MatMuls whose error stays small: the feed-forward
    down-projections (their inputs, after GELU, span the widest range) stay in float, as do the fused
    attention and the embeddings. Quantised per tensor, every MatMul and the embeddings, the vectors'
    cosine to fp32 was ~0.988 and answers moved by points; this way it is ~0.999 (docs/benchmarks.md).
    Written with its weights in data files, which ONNX Runtime maps instead of copying: the int8 ones in its
    own, the float ones that are the fp32 graph's, byte for byte, in the fp32 graph's (``_share_float_weights``).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(fp32), load_external_data=False)  # shapes only
    shapes = {t.name: tuple(t.dims) for t in model.graph.initializer}
    # A down-projection's weight maps the wider intermediate size back to the hidden size (k > n).
    down = [n.name for n in model.graph.node if n.op_type == "MatMul" and _narrows(shapes.get(n.input[1]))]
    if not down:
        raise ModelError("the exported graph has no feed-forward down-projection to keep in float")
    # The fused ops (com.microsoft domain) have no inferred output types: say they are float.
    extra = {"DefaultTensorType": onnx.TensorProto.FLOAT}
    quantize_dynamic(
        str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"],
        nodes_to_exclude=down, use_external_data_format=True, extra_options=extra,
    )  # fmt: skip
    _share_float_weights(int8, fp32, model)


def _share_float_weights(int8: Path, fp32: Path, fp32_graph: Any) -> None:
    """Point the int8 graph's float weights that are the fp32 graph's byte for byte (embeddings, attention,
    down-projections: ~430 of its ~440 MB) at the fp32 graph's data file (``fp32_graph``: that graph, loaded
    without its data) instead of a copy of their own; both files lie in one folder."""
    import hashlib

    import onnx
    from onnx.external_data_helper import ExternalDataInfo, set_external_data

    stored: dict[str, tuple[str, int, int, str]] = {}  # name -> (file, offset, length, digest)
    for tensor in fp32_graph.graph.initializer:
        info = ExternalDataInfo(tensor) if tensor.data_location == onnx.TensorProto.EXTERNAL else None
        if info is not None and info.length is not None:  # (a tensor that is a whole file of its own: not shared)
            offset = info.offset or 0
            with (fp32.parent / info.location).open("rb") as f:
                f.seek(offset)
                blob = f.read(info.length)
            stored[tensor.name] = (info.location, offset, info.length, hashlib.sha256(blob).hexdigest())
    model = onnx.load(str(int8))  # with its data, in memory
    for tensor in model.graph.initializer:
        found = stored.get(tensor.name)
        if found is not None and hashlib.sha256(tensor.raw_data).hexdigest() == found[3]:
            set_external_data(tensor, found[0], found[1], found[2])
            tensor.ClearField("raw_data")  # (saving then leaves it where it points)
    own = int8.with_name(int8.name + ".data")
    own.unlink(missing_ok=True)
    onnx.save_model(model, str(int8), save_as_external_data=True, all_tensors_to_one_file=True, location=own.name)


def _narrows(shape: tuple[int, ...] | None) -> bool:
    return shape is not None and len(shape) == 2 and shape[0] > shape[1]


def _check(path: Path, model_dir: Path, module: Any, min_cosine: float) -> float:
    """Compare ONNX Runtime's vectors with torch's on fixed sentences; raise if they drift."""
    import torch

    onnx = OnnxEmbedder(model_dir, path)
    tok = onnx.tokenizer
    worst = 1.0
    for text in CHECK_SENTENCES:  # one by one: no padding effects
        enc = tok.encode(text)
        with torch.no_grad():
            ref = module(torch.tensor([enc.ids]), torch.tensor([enc.attention_mask])).numpy()[0]
        got = onnx.encode_raw([text])[0]
        worst = min(worst, float(np.dot(ref, got)))
    if worst < min_cosine:
        raise ModelError(f"exported {path.name} drifts from the torch model (cosine {worst:.5f} < {min_cosine})")
    return worst
