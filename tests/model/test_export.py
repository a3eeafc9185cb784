"""The ONNX export against the torch model it came from (real model, run by CI)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from faq_bot.config import Settings
from faq_bot.model.background import BackgroundEncoder
from faq_bot.model.batching import MicroBatcher
from faq_bot.model.loader import load_bulk_embedder, load_embedder
from faq_bot.model.onnx import INT8_FORMAT, OnnxEmbedder, is_exported, onnx_path
from faq_bot.model.sentence_transformer import SentenceTransformerEmbedder

pytestmark = pytest.mark.integration
SENTENCES = [
    "請求書はいつ発行されますか",
    "クレカ使える？",
    "ユーザー追加(会員追加)をしたのですが、ログインできません",
    "Can I pay by bank transfer?",
    "みつもりしょをだしたい",
    "①まずは、お客様(招待者)にてユーザー追加を行います。\n②招待されたユーザーへは招待メールが送られます。",
]


@pytest.fixture(scope="module")
def settings() -> Settings:
    s = Settings()
    if not is_exported(s.model_dir, int8=True):
        pytest.fail("no ONNX export (fp32 and int8) of the current format: run `make model`")
    return s


@pytest.fixture(scope="module")
def torch_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(settings.model_dir)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)  # type: ignore[no-any-return]


def test_fp32_export_matches_torch_on_queries_and_passages(
    settings: Settings, torch_embedder: SentenceTransformerEmbedder
) -> None:
    onnx = OnnxEmbedder(settings.model_dir)
    for encode in ("encode_queries", "encode_passages"):
        ref = getattr(torch_embedder, encode)(SENTENCES)
        got = getattr(onnx, encode)(SENTENCES)  # one padded batch: padding must not matter either
        assert cosines(ref, got).min() >= 0.9999
    assert onnx.model_id == torch_embedder.model_id  # same vectors: the same index serves both


def test_int8_export_is_close_and_identifies_itself(
    settings: Settings, torch_embedder: SentenceTransformerEmbedder
) -> None:
    int8 = OnnxEmbedder(settings.model_dir, int8=True)
    for encode in ("encode_queries", "encode_passages"):
        assert cosines(getattr(torch_embedder, encode)(SENTENCES), getattr(int8, encode)(SENTENCES)).min() >= 0.995
    assert int8.model_id.endswith(f"+int8-{INT8_FORMAT}")  # not the vectors of an earlier int8 copy


def test_int8_copy_keeps_the_down_projections_in_float_and_its_weights_in_a_mapped_file(settings: Settings) -> None:
    import onnx

    path = onnx_path(settings.model_dir, int8=True)
    graph = onnx.load(str(path), load_external_data=False).graph
    ops = Counter(n.op_type for n in graph.node)
    assert ops["MatMulInteger"] == 24 and ops["MatMul"] == 12  # per layer: two quantised, the down-projection not
    assert ops["EmbedLayerNormalization"] == 1 and ops["Attention"] == 12  # embeddings and attention in float
    from onnx.external_data_helper import ExternalDataInfo

    files = Counter(ExternalDataInfo(t).location for t in graph.initializer if t.data_location == t.EXTERNAL)
    assert files[path.name + ".data"] >= 24  # its own: the int8 weights (and their scales) ...
    assert files[onnx_path(settings.model_dir).name + ".data"] >= 12 * 3  # ... its float ones: the fp32 graph's file
    assert path.with_name(path.name + ".data").stat().st_size < 20_000_000  # not a second copy of the embeddings


def test_auto_backend_is_onnx_fp32_once_exported(settings: Settings) -> None:
    assert isinstance(load_embedder(settings.encoder_params(micro_batch=False)), OnnxEmbedder)
    assert isinstance(
        load_embedder(settings.model_copy(update={"encoder_backend": "torch"}).encoder_params(micro_batch=False)),
        SentenceTransformerEmbedder,
    )


def test_length_sorted_batches_give_each_text_the_vector_it_gets_alone(settings: Settings) -> None:
    encoder = OnnxEmbedder(settings.model_dir, batch_size=4)
    texts = [
        "短い",
        "もう少し長い文章です。" * 3,
        "とても長い文章、" * 200,
        "x",
        "請求書はいつ発行されますか",
        "中くらい" * 10,
    ]
    together = encoder.encode_passages(texts)
    for text, vector in zip(texts, together, strict=True):
        alone = encoder.encode_passages([text])[0]
        assert float(alone @ vector) > 0.99999


def test_a_shorter_passage_length_is_another_model_id_and_truncates_passages_only(settings: Settings) -> None:
    full = OnnxEmbedder(settings.model_dir)
    short = OnnxEmbedder(settings.model_dir, max_passage_length=32)
    assert short.model_id != full.model_id and short.model_id.endswith("+p32")
    long_text = "オンラインマーケットでの見積書の発行と、その後の注文の流れについて。" * 10
    assert float(full.encode_queries([long_text])[0] @ short.encode_queries([long_text])[0]) > 0.99999
    assert float(full.encode_passages([long_text])[0] @ short.encode_passages([long_text])[0]) < 0.999


def test_the_bulk_encoder_shares_the_tokenizer_and_gives_the_visitors_vectors(settings: Settings) -> None:
    params = settings.encoder_params()  # micro-batched, as a server runs
    interactive = load_embedder(params)
    bulk = load_bulk_embedder(params, interactive)
    try:
        assert isinstance(interactive, MicroBatcher) and isinstance(bulk, BackgroundEncoder)
        # Long passages (cut into calls of at most BATCH_TOKENS on the bulk side): the same vectors as the visitors'.
        texts = [*SENTENCES, *["オンラインマーケットで見積書を発行する流れ。" * 30] * 16]
        assert np.allclose(bulk.encode_passages(texts), interactive.embedder.encode_passages(texts), atol=1e-5)
        assert isinstance(bulk.embedder, OnnxEmbedder) and isinstance(interactive.embedder, OnnxEmbedder)
        assert bulk.embedder.tokenizer is interactive.embedder.tokenizer
        # Under load, batches also run side by side on a one-thread session (machines here have 2 cores).
        lane = interactive.lane
        assert isinstance(lane, OnnxEmbedder) and lane.tokenizer is interactive.embedder.tokenizer
        assert lane.session.get_session_options().intra_op_num_threads == 1
        queries = interactive.embedder.encode_queries(SENTENCES)
        assert np.allclose(lane.encode_queries(SENTENCES), queries, atol=1e-5)
    finally:
        bulk.close()
        interactive.close()
