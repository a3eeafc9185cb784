from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from faq_bot.config import Settings
from faq_bot.content import faq as faq_table
from faq_bot.content.faq import FaqEntry
from faq_bot.errors import UnknownCategoryError
from faq_bot.retrieval import index as faq_index
from faq_bot.retrieval import store
from faq_bot.retrieval.engine import Engine
from faq_bot.retrieval.retriever import SIGNAL_CANDIDATES, Hit, Retriever
from faq_bot.retrieval.signals import TWIN_SPREADS
from faq_bot.text.analyzer import TextAnalyzer
from tests.fakes import FakeEmbedder


def synthetic_faq(n: int, categories: int = 5) -> faq_table.Faq:
    rng = np.random.default_rng(0)
    words = ["請求", "見積", "契約", "支払", "会員", "注文", "ログイン", "通知", "権限", "マニュアル", "口座", "変更"]
    entries = tuple(
        FaqEntry(
            str(i),
            f"分類{i % categories}",
            "".join(rng.choice(words, 3)) + f"について{i}",
            "".join(rng.choice(words, 6)) + "です。",
            tuple("".join(rng.choice(words, 2)) + f"の件{i}-{j}" for j in range(int(rng.integers(0, 3)))),
        )
        for i in range(n)
    )
    return faq_table.Faq(entries, "synthetic", "UTF-8", "0" * 64)


def retriever(settings: Settings, n: int = 300, index_type: str = "flat") -> Retriever:
    s = settings.model_copy(update={"index_type": index_type, "candidates": 20})
    emb = FakeEmbedder()
    params = s.retrieval_params()
    idx = faq_index.build(synthetic_faq(n), emb, TextAnalyzer(), params.index)
    return Retriever(idx, emb, TextAnalyzer(), params.search)


def brute_force(r: Retriever, query: str, allowed: set[str] | None, k: int) -> list[tuple[str, float]]:
    """Reference: every entry's hybrid score computed with plain numpy; the best ``k`` allowed entries."""
    return exact_scores(r, query, allowed)[:k]


def exact_scores(r: Retriever, query: str, allowed: set[str] | None = None) -> list[tuple[str, float]]:
    """Every allowed entry's hybrid score (plain numpy), best first, ties by FAQ order."""
    analysis = r.analyzer.analyze(query)
    q = r.embedder.encode_queries([analysis.normalized])[0]
    stored = r.index.vectors.reconstruct_n(0, r.index.vectors.ntotal)
    cos = stored @ q
    best = np.full(len(r.index.entries), -np.inf)
    np.maximum.at(best, r.index.vector_entry, cos)
    lexical = r.lexical_scores(analysis)
    w = r.params.dense_weight
    combined = w * r.dense_to_unit(best - q @ r.index.centroid) + (1 - w) * lexical
    order = np.lexsort((np.arange(len(best)), -combined)).tolist()
    entries = r.index.entries
    return [(entries[i].id, float(combined[i])) for i in order if allowed is None or entries[i].category in allowed]


def assert_same_ranking(hits: tuple[Hit, ...], reference: list[tuple[str, float]], r: Retriever, query: str) -> None:
    """The hits are exactly the reference top k: same scores in the same order, each hit's score its true one.

    Ids may differ from the reference only where scores tie (within float error), so a hit
    is never an entry that does not belong in the top k.
    """
    assert len(hits) == len(reference)
    np.testing.assert_allclose([h.score for h in hits], [s for _, s in reference], atol=1e-5)
    truth = dict(exact_scores(r, query))
    for h in hits:
        assert truth[h.entry.id] == pytest.approx(h.score, abs=1e-5), h.entry.id
    assert len({h.entry.id for h in hits}) == len(hits)
    untied = [i for i, (_, s) in enumerate(reference) if sum(abs(s - t) < 1e-5 for t in truth.values()) == 1]
    assert [hits[i].entry.id for i in untied] == [reference[i][0] for i in untied]


@pytest.mark.parametrize("query", ["請求の変更", "見積契約について12", "ログイン通知", "口座"])
def test_flat_search_matches_brute_force(settings: Settings, query: str) -> None:
    r = retriever(settings)
    assert_same_ranking(r.search(query, k=10).hits, brute_force(r, query, None, 10), r, query)


@pytest.mark.parametrize("categories", [["分類1"], ["分類2", "分類4"]])
@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_category_filter_returns_the_best_entries_within_exactly(
    settings: Settings, categories: list[str], index_type: str
) -> None:
    r = retriever(settings, index_type=index_type)
    for query in ("請求の変更", "ログイン通知", "口座"):
        got = r.search(query, categories, k=10).hits
        assert len(got) == 10 and all(h.entry.category in categories for h in got)
        assert_same_ranking(got, brute_force(r, query, set(categories), 10), r, query)


@pytest.mark.parametrize("categories", [None, ["分類1", "分類3"]])
@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_a_search_without_one_entry_is_exactly_the_search_of_the_others(
    settings: Settings, categories: list[str] | None, index_type: str
) -> None:
    """``left_out`` (how an entry's own question is searched as a near miss): the others' exact top k."""
    r = retriever(settings, index_type=index_type)
    allowed = set(categories) if categories else None
    within = [e for e in r.index.entries if allowed is None or e.category in allowed]
    # Short queries, and entries' own questions (the entry left out matches them best, in meaning too).
    for query in ("請求の変更", "ログイン通知", "口座", *(e.question for e in within[:6])):
        best = r.search(query, categories, k=10).hits[0].entry
        position = r.index.entries.index(best)
        got = r.search(query, categories, k=10, left_out=position).hits
        assert best not in [h.entry for h in got]
        reference = [(i, s) for i, s in exact_scores(r, query, allowed) if i != best.id][:10]
        assert_same_ranking(got, reference, r, query)
    with pytest.raises(IndexError):
        r.search("口座", left_out=len(r.index.entries))


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_category_with_few_entries_still_fills_k(settings: Settings, index_type: str) -> None:
    """A category far from the query still yields its best entries (at least the candidates the decision weighs)."""
    r = retriever(settings, n=200, index_type=index_type)
    query = "まったく関係ない文"
    small = r.search(query, ["分類3"], k=5).hits
    assert len(small) == SIGNAL_CANDIDATES and all(h.entry.category == "分類3" for h in small)
    assert_same_ranking(small, brute_force(r, query, {"分類3"}, SIGNAL_CANDIDATES), r, query)


def test_hnsw_agrees_with_flat_on_top_results(settings: Settings) -> None:
    flat, hnsw = retriever(settings, 400, "flat"), retriever(settings, 400, "hnsw")
    for q in ["請求の変更", "権限マニュアル", "会員の注文"]:
        assert [h.entry.id for h in flat.search(q, k=3).hits] == [h.entry.id for h in hnsw.search(q, k=3).hits]


def test_unknown_category_is_an_error(settings: Settings) -> None:
    with pytest.raises(UnknownCategoryError, match="分類X"):
        retriever(settings, 20).search("請求", ["分類X"])


def test_meaningless_query_has_no_hits(settings: Settings) -> None:
    assert retriever(settings, 20).search("？？？").hits == ()


def test_hits_report_which_phrasing_matched(settings: Settings) -> None:
    r = retriever(settings, 50)
    entry = next(e for e in r.index.entries if e.alternates)
    hit = r.search(entry.alternates[0], k=1).hits[0]
    assert hit.entry.id == entry.id and hit.matched == "alternate" and hit.matched_text == entry.alternates[0]


def test_a_hiragana_only_question_is_searched_in_the_faqs_spelling(settings: Settings) -> None:
    r = retriever(settings, n=60)
    assert r.analyze("けいやくへんこう").normalized == "契約変更"
    assert r.analyze("けいやくへんこう").words == r.analyzer.analyze("契約変更").words
    assert r.search("けいやくへんこう").analysis.normalized == "契約変更"
    assert r.analyze("契約のへんこう").normalized == "契約の変更"  # kanji present: a word the analyser cannot read
    assert r.analyze("契約をかえたい").normalized == "契約をかえたい"  # ... but what it reads stays as typed
    assert r.analyze("契約のまにゅある").normalized == "契約のマニュアル"  # ... but a loanword comes back
    assert "マニュアル" in r.analyze("契約のまにゅある").words


def test_a_kanji_word_typed_with_the_wrong_kanji_is_searched_as_the_faqs_word(fake_engine: Engine) -> None:
    r = fake_engine.current.retriever
    assert "会員" in r.index.words.vocabulary and "海員" not in r.index.words.vocabulary
    parsed = r.parse("海員情報からパスワードを変更したい")
    assert parsed.whole.normalized == "会員情報からパスワードを変更したい" and "会員" in parsed.whole.words
    assert r.views(parsed)[0] == parsed.whole.normalized  # embedded as mended, too
    assert r.embedded_text("海員情報からパスワードを変更したい") == parsed.whole.normalized  # a logged question's, too
    search = r.search("海員情報からパスワードを変更したい")
    assert search.analysis.normalized == parsed.whole.normalized and search.hits
    # The decision still counts it as a word the FAQ never uses: weighed by what it means, and unknown.
    assert parsed.whole.mended == {"会員"} and r.views(parsed)[-1] == "情報からパスワードを変更したい"
    typed_right = r.search("会員情報からパスワードを変更したい")
    assert all(h.signals is not None and h.signals.unknown_meaning > 0 for h in search.hits)
    assert all(h.signals is not None and h.signals.unknown_meaning == 0 for h in typed_right.hits)


def test_a_homophone_is_mended_only_into_an_entry_that_shares_a_telling_word_with_the_question(
    fake_engine: Engine,
) -> None:
    r = fake_engine.current.retriever
    words = r.index.words
    assert not set(words.documents_with("会員")) & set(words.documents_with("見積書"))  # no entry has both
    assert r.analyze("海員の見積書").mended == frozenset() and "海員" in r.analyze("海員の見積書").words
    assert r.analyze("海員とパスワード").mended == {"会員"}  # the entry on 会員情報 speaks of パスワード


def test_a_long_messages_asking_sentence_is_read_without_the_sites_name_but_the_whole_message_keeps_it(
    fake_engine: Engine,
) -> None:
    shipped = fake_engine.current.retriever
    r = Retriever(
        shipped.index,
        shipped.embedder,
        shipped.analyzer,
        replace(shipped.params, subject_names=("オンラインマーケット",)),
    )
    message = "いつもお世話になっております。オンラインマーケットのパスワードを変更できますか。"
    parsed = r.parse(message)
    assert parsed.asking == "パスワードを変更できますか。" and "マーケット" not in parsed.asked.words
    assert parsed.whole.normalized == message  # the context keeps the name
    assert r.views(parsed)[:2] == [message, "パスワードを変更できますか。"]
    assert r.search(message).focus == "パスワードを変更できますか。"
    one = r.parse("オンラインマーケットのパスワードを変更できますか")  # one sentence: the name may be the topic
    assert one.asking is None and "マーケット" in one.whole.words
    # Nothing asked besides the name (できる, 教える are no content words): the name is what it asks about.
    about = r.parse("お世話になっております。オンラインマーケットでできることを教えてください。")
    assert about.asking == "オンラインマーケットでできることを教えてください。" and "マーケット" in about.asked.words


def test_a_katakana_word_typed_with_a_large_kana_is_read_as_the_faqs_word_not_as_an_unknown_one(
    fake_engine: Engine,
) -> None:
    r = fake_engine.current.retriever
    parsed = r.parse("クレジツトカードは使えますか")
    assert parsed.whole.normalized == "クレジットカードは使えますか" and parsed.whole.mended == frozenset()
    assert r.views(parsed) == ["クレジットカードは使えますか"]  # nothing masked: every word is the FAQ's


def test_a_word_typed_without_its_small_tsu_is_mended_where_an_entry_uses_the_faq_word_with_the_question(
    fake_engine: Engine,
) -> None:
    r = fake_engine.current.retriever
    assert "波高" not in r.index.words.vocabulary  # はこう typed for はっこう (発行): the IME gives 波高
    typed = r.analyze("毎月の請求書を波高してほしい")  # 毎月 tells a topic; 請求書, in a third of the entries, does not
    assert typed.normalized == "毎月の請求書を発行してほしい" and typed.mended == {"発行"}
    assert r.analyze("請求書を波高してほしい").mended == frozenset()
    assert r.analyze("波高の予報").mended == frozenset()  # no word of the question says it is about 発行


def test_a_word_the_faq_never_uses_is_weighed_by_what_it_means(fake_engine: Engine) -> None:
    r = fake_engine.current.retriever
    question = "請求書の分割払い"
    assert r.index.words.unknown_terms(r.analyze(question).words) == {"分割払い"}
    views = r.views(r.parse(question))
    assert views[-1] == "請求書の" and len(views) == 2  # the whole message, then it without 分割払い
    whole, masked = fake_engine.embedder.encode_queries(views)
    search = r.search(question)
    assert search.hits and all(h.signals is not None for h in search.hits)
    expected = 1.0 - float(whole @ masked)
    assert {round(h.signals.unknown_meaning, 5) for h in search.hits if h.signals} == {round(expected, 5)}
    assert expected > 0


def test_a_question_in_the_faqs_own_words_has_no_masked_view(fake_engine: Engine) -> None:
    r = fake_engine.current.retriever
    question = "請求書をダウンロード"
    assert not r.index.words.unknown_terms(r.analyze(question).words)
    assert len(r.views(r.parse(question))) == 1
    assert all(h.signals is not None and h.signals.unknown_meaning == 0.0 for h in r.search(question).hits)


def test_a_reference_number_in_the_message_costs_no_second_view(fake_engine: Engine) -> None:
    # An order number or a pasted reference is neither a word the FAQ lacks nor a sentence that asks:
    # the message is embedded once.
    r = fake_engine.current.retriever
    for question in ("請求書をダウンロードしたい？ (3fa2b9c1-0-17)", "ab12cd34の請求書をダウンロード"):
        parsed = r.parse(question)
        assert parsed.asking is None
        assert r.views(parsed) == [r.embedded_text(question)]


def test_a_caller_passing_only_the_whole_messages_vector_goes_without_the_masked_view(fake_engine: Engine) -> None:
    r = fake_engine.current.retriever
    vector = fake_engine.embedder.encode_queries(r.views(r.parse("請求書の分割払い"))[:1])
    hits = r.search("請求書の分割払い", query_vectors=vector).hits
    assert hits and all(h.signals is not None and h.signals.unknown_meaning == 0.0 for h in hits)


def test_domain_is_near_zero_for_the_faqs_own_questions_and_far_below_for_a_text_elsewhere(
    settings: Settings,
) -> None:
    idx = retriever(settings, n=60).index
    questions = [i for i in range(idx.vectors.ntotal) if idx.phrasing(i)[0] != "answer"]
    own = [idx.domain(idx.vectors.reconstruct(i)) for i in questions]
    assert abs(sum(own) / len(own)) < 1e-3  # measured against the FAQ's own questions: mean 0 ...
    assert all(abs(d) < 5 for d in own)  # ... in their standard deviations
    elsewhere = -idx.centroid / np.linalg.norm(idx.centroid)  # as far from the FAQ as a unit vector gets
    assert idx.domain(elsewhere) < min(own) - 3


def test_two_entries_about_the_same_thing_are_far_more_alike_than_the_faqs_pairs(settings: Settings) -> None:
    faq = synthetic_faq(40)
    said = ("注文を取り消したい", "お問い合わせフォームからご連絡ください。")
    twins = tuple(FaqEntry(i, "分類0", *said) for i in ("t1", "t2"))
    idx = faq_index.build(faq_table.Faq(faq.entries + twins, "synthetic", "UTF-8", "0" * 64), FakeEmbedder(),
                          TextAnalyzer(), settings.retrieval_params().index)  # fmt: skip
    assert idx.pair_background is not None and idx.pair_background[1] > 0
    positions = np.array([40, 41, 0, 1, 2], dtype=np.int64)
    alike = idx.alike(positions)
    assert alike.shape == (5, 5) and np.allclose(alike, alike.T, atol=1e-5)
    assert alike[0, 1] >= TWIN_SPREADS  # the same question and answer
    assert (alike[2:, 2:][~np.eye(3, dtype=bool)] < TWIN_SPREADS).all()  # the synthetic entries are not twins
    again = store.load(store.save(idx, settings.index_dir))  # a loaded build measures the same scale
    assert again.pair_background == pytest.approx(idx.pair_background)


def test_an_faq_of_near_copies_makes_no_pair_look_alike(settings: Settings) -> None:
    copies = tuple(FaqEntry(str(i), "分類0", "請求書を発行したい", "マイページから発行できます。") for i in range(15))
    idx = faq_index.build(faq_table.Faq(copies, "copies", "UTF-8", "0" * 64), FakeEmbedder(), TextAnalyzer(),
                          settings.retrieval_params().index)  # fmt: skip
    assert idx.pair_background is not None and idx.pair_background[1] == faq_index.MIN_PAIR_SPREAD
    assert (idx.alike(np.arange(15, dtype=np.int64)) < TWIN_SPREADS).all()


def test_the_domain_scale_is_kept_with_the_build(settings: Settings) -> None:
    idx = retriever(settings, n=60).index
    assert idx.own_background is not None and idx.own_background[1] > 0
    again = store.load(store.save(idx, settings.index_dir))
    assert again.own_background == pytest.approx(idx.own_background)


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_a_category_with_fewer_entries_than_asked_for_keeps_the_search_inside_it(
    settings: Settings, index_type: str
) -> None:
    # With HNSW, fewer than k entries found left the bound of every other entry at -inf, and -inf >= -inf:
    # entries of other categories were scored and returned.
    few = tuple(FaqEntry(f"f{i}", "少数", f"請求の変更について{i}", "請求変更です。") for i in range(3))
    faq = faq_table.Faq(synthetic_faq(60).entries + few, "synthetic", "UTF-8", "0" * 64)
    s = settings.model_copy(update={"index_type": index_type, "candidates": 20})
    params = s.retrieval_params()
    r = Retriever(faq_index.build(faq, FakeEmbedder(), TextAnalyzer(), params.index), FakeEmbedder(), TextAnalyzer(),
                  params.search)  # fmt: skip
    hits = r.search("請求の変更", categories=["少数"]).hits
    assert hits and {h.entry.category for h in hits} == {"少数"}


def test_candidates_tied_at_the_top_of_both_scales_rank_by_their_cosine(settings: Settings) -> None:
    # Near-copies of a question reach the top of the dense scale (clipped at its ceiling) and of the lexical one
    # alike; their tie goes to the closer wording, not to the entry that comes first in the FAQ.
    s = settings.model_copy(update={"index_type": "flat", "candidates": 20, "dense_ceiling": 1e-6, "dense_weight": 1.0})
    emb = FakeEmbedder()
    params = s.retrieval_params()
    r = Retriever(faq_index.build(synthetic_faq(60), emb, TextAnalyzer(), params.index), emb, TextAnalyzer(),
                  params.search)  # fmt: skip
    hits = r.search("請求見積契約について3", k=10).hits
    tied = [h for h in hits if h.score == hits[0].score]
    assert len(tied) >= 2, "the clipped dense scale must tie several candidates for this test to mean anything"
    assert [h.dense for h in tied] == sorted((h.dense for h in tied), reverse=True)


def test_a_word_left_in_hiragana_beside_kanji_is_searched_as_the_faqs_word(fake_engine: Engine) -> None:
    r = fake_engine.current.retriever
    typed = r.analyze("見積書をはっこうしたい")
    assert typed.normalized == "見積書を発行したい" and "発行" in typed.words
    assert typed.words == r.analyze("見積書を発行したい").words  # as if typed in kanji
    assert r.views(r.parse("見積書をはっこうしたい"))[0] == "見積書を発行したい"  # embedded so, too
    assert r.analyze("見積書を変更したい").normalized == "見積書を変更したい"  # what was read stays
