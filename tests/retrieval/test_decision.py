from __future__ import annotations

from dataclasses import replace

from faq_bot.content.faq import FaqEntry
from faq_bot.retrieval.decision import Decision, decide, is_referral
from faq_bot.retrieval.params import DecisionParams
from faq_bot.retrieval.retriever import Hit, Search
from faq_bot.text.analyzer import Analysis


def search(*scores: float, words: tuple[str, ...] = ("請求書",)) -> Search:
    hits = tuple(
        Hit(FaqEntry(str(i), "c", f"q{i}", f"a{i}"), s, 0.9, 0.5, "question", f"q{i}") for i, s in enumerate(scores)
    )
    return Search("q", Analysis("q", words, ""), hits)


SETTINGS = DecisionParams(answer_threshold=0.6, suggest_threshold=0.4, suggestion_count=3)


def test_high_score_answers_with_the_top_entry() -> None:
    reply = decide(search(0.7, 0.5), SETTINGS)
    assert reply.decision == Decision.ANSWER and reply.answer == "a0" and reply.escalation is None


def test_unsure_but_likely_among_three_suggests_those_candidates() -> None:
    reply = decide(search(0.55, 0.5, 0.45, 0.44, 0.2), SETTINGS)
    assert reply.decision == Decision.SUGGEST
    assert [h.entry.id for h in reply.suggestions] == ["0", "1", "2"]
    # Candidates below candidate_threshold (0.05) are not offered, even when the sum suggests.
    short = decide(search(0.35, 0.2, 0.01), SETTINGS)
    assert short.decision == Decision.SUGGEST and [h.entry.id for h in short.suggestions] == ["0", "1"]


def test_suggestions_carry_the_way_to_a_person_for_none_of_these() -> None:
    reply = decide(search(0.55, 0.5), SETTINGS)
    assert reply.decision == Decision.SUGGEST and reply.answer == ""
    assert reply.escalation is not None and reply.escalation.contact_url == SETTINGS.contact_url


def test_the_suggest_threshold_applies_to_the_topic_probability() -> None:
    # The topic model says how likely one of the candidates answers: on the FAQ's subject or not.
    on_subject = replace(search(0.2, 0.1, 0.05), on_topic=0.45)
    assert decide(on_subject, SETTINGS).decision == Decision.SUGGEST
    elsewhere = replace(search(0.35, 0.3, 0.3), on_topic=0.2)  # plausible-looking candidates, off the subject
    assert decide(elsewhere, SETTINGS).decision == Decision.ESCALATE


def test_an_answer_needs_the_topic_model_to_find_the_message_on_the_faqs_subject_too() -> None:
    # 「ねこ」: one candidate far ahead of the others, so the answer model is sure; the topic model is not.
    lone = replace(search(0.7, 0.05), on_topic=0.7, topic_probability=0.3)
    reply = decide(lone, SETTINGS)
    assert reply.decision == Decision.SUGGEST and [h.entry.id for h in reply.suggestions] == ["0", "1"]
    assert decide(replace(lone, topic_probability=0.65), SETTINGS).decision == Decision.ANSWER


def test_without_a_topic_probability_the_candidates_probabilities_are_summed() -> None:
    assert decide(search(0.2, 0.15, 0.1), SETTINGS).decision == Decision.SUGGEST  # 0.45 >= 0.4
    assert decide(search(0.2, 0.1, 0.05), SETTINGS).decision == Decision.ESCALATE  # 0.35 < 0.4


def test_low_score_or_no_hit_escalates_with_the_configured_text() -> None:
    for s in (search(0.3), search()):
        reply = decide(s, SETTINGS)
        assert reply.decision == Decision.ESCALATE
        assert reply.escalation is not None and reply.escalation.text == SETTINGS.escalation_text
        assert reply.answer == SETTINGS.escalation_text


def test_answer_margin_turns_a_close_call_into_suggestions() -> None:
    strict = replace(SETTINGS, answer_margin=0.05)
    assert decide(search(0.7, 0.68), strict).decision == Decision.SUGGEST
    assert decide(search(0.7, 0.6), strict).decision == Decision.ANSWER


def timed_search(query: str, answer: str, score: float = 0.9) -> Search:
    hit = Hit(FaqEntry("7", "c", "ロールの設定はできますか", answer), score, 0.9, 0.5, "question", "q")
    return Search(query, Analysis(query, ("ロール", "変更", "反映"), ""), (hit,))


def test_a_when_question_is_escalated_if_the_best_entry_names_no_time() -> None:
    reply = decide(timed_search("ロールの変更はいつ反映されますか", "はい、可能です。"), SETTINGS)
    assert reply.decision == Decision.ESCALATE and reply.unanswered == ("時期・期間",)
    assert reply.hit is None and reply.escalation is not None
    answered = decide(timed_search("ロールの変更はいつ反映されますか", "変更は翌日に反映されます。"), SETTINGS)
    assert answered.decision == Decision.ANSWER and answered.unanswered == ()


def test_the_asked_kind_check_can_be_turned_off() -> None:
    off = replace(SETTINGS, check_asked_kind=False)
    assert decide(timed_search("ロールの変更はいつ反映されますか", "はい、可能です。"), off).decision == Decision.ANSWER


def test_an_escalation_lists_related_entries_above_their_threshold() -> None:
    s = replace(SETTINGS, suggest_threshold=0.6, related_threshold=0.12)
    reply = decide(search(0.3, 0.15, 0.04), s)
    assert reply.decision == Decision.ESCALATE and [h.entry.id for h in reply.related] == ["0", "1"]
    assert decide(search(0.1, 0.05), s).related == ()
    assert decide(search(0.3), replace(s, show_related=False)).related == ()
    assert decide(search(0.7, 0.5), SETTINGS).related == ()  # answers and suggestions have none


def test_an_asked_kind_escalation_offers_the_close_entry_as_related() -> None:
    reply = decide(timed_search("ロールの変更はいつ反映されますか", "はい、可能です。"), SETTINGS)
    assert [h.entry.id for h in reply.related] == ["7"]


def test_greetings_and_thanks_get_the_configured_friendly_reply() -> None:
    empty = Search("こんにちは！", Analysis("こんにちは!", (), ""), ())
    reply = decide(empty, SETTINGS)
    assert reply.decision == Decision.SMALLTALK and reply.answer == dict(SETTINGS.smalltalk_replies)["greeting"]
    assert reply.escalation is None and reply.hit is None
    thanks = decide(Search("ありがとうございました", Analysis("", (), ""), ()), SETTINGS)
    assert thanks.answer == dict(SETTINGS.smalltalk_replies)["thanks"]
    off = decide(empty, replace(SETTINGS, smalltalk_replies=()))
    assert off.decision == Decision.ESCALATE
    who = decide(Search("あなたは誰ですか", Analysis("", (), ""), ()), SETTINGS)
    assert who.decision == Decision.SMALLTALK
    assert "チャットボット" in who.answer and "お問い合わせフォーム" in who.answer  # what it is, and the way on


def test_an_answer_that_only_refers_to_a_person_is_a_referral() -> None:
    referral = FaqEntry("9", "c", "相談したい", "内容を確認しますので、" + SETTINGS.escalation_text)
    assert is_referral(referral, SETTINGS)
    assert not is_referral(
        FaqEntry("8", "c", "q", "マイページから変更できます。" * 3 + SETTINGS.escalation_text), SETTINGS
    )
    assert not is_referral(FaqEntry("7", "c", "q", "マイページから変更できます。"), SETTINGS)


def test_a_message_with_no_content_word_is_asked_for_its_question_however_probable_its_hits() -> None:
    params = replace(SETTINGS, related_threshold=0.1)
    assert decide(search(0.9, 0.5, words=("請求書",)), params).decision == Decision.ANSWER
    reply = decide(search(0.9, 0.5, words=()), params)  # 「すみません」, 「できますか？」: names nothing
    assert reply.decision == Decision.SMALLTALK and reply.suggestions == () and reply.related == ()
    assert reply.answer == dict(SETTINGS.smalltalk_replies)["no_question"]
    assert "入力してください" in reply.answer and "お問い合わせフォーム" in reply.answer  # and the way on to a person
    # Without that reply configured it is escalated, as any question the FAQ cannot answer.
    quiet = replace(params, smalltalk_replies=tuple(r for r in params.smalltalk_replies if r[0] != "no_question"))
    reply = decide(search(0.9, 0.5, words=()), quiet)
    assert reply.decision == Decision.ESCALATE and reply.suggestions == () and reply.related == ()


def test_the_asked_kind_is_read_from_the_asking_sentence_not_the_context() -> None:
    entry = FaqEntry("0", "c", "請求書はダウンロードできますか", "マイページの請求一覧からPDFで出力できます。")
    hit = Hit(entry, 0.9, 0.9, 0.5, "question", entry.question)
    context = Search("年会費は払っています。請求書はダウンロードできますか",
                     Analysis("年会費は払っています。請求書はダウンロードできますか", ("請求書",), ""), (hit,),
                     focus="請求書はダウンロードできますか")  # fmt: skip
    assert decide(context, SETTINGS).decision == Decision.ANSWER  # the charge is context, not the question
    asked = replace(context, focus="年会費はいくらですか")
    assert decide(asked, SETTINGS).decision == Decision.ESCALATE


def sharing(*lexical: float, text: str = "請求書") -> Search:
    """Hits of probabilities 0.7, 0.1, 0.05… whose lexical scores are ``lexical`` (0: no word or reading shared)."""
    hits = tuple(
        Hit(FaqEntry(str(i), "c", f"q{i}", f"a{i}"), p, 0.9, lex, "question", f"q{i}")
        for i, (p, lex) in enumerate(zip((0.7, 0.1, 0.05), lexical, strict=False))
    )
    return Search(text, Analysis(text, ("語",), ""), hits)


def test_an_answer_needs_a_content_word_in_common_with_its_entry() -> None:
    assert decide(sharing(0.4, 0.0, 0.0), SETTINGS).decision == Decision.ANSWER
    # 「あほ」 was answered with 「注文を誤ってしまいました」 at 0.55: one entry near in the vectors, nothing shared.
    alone = decide(sharing(0.0, 0.3, 0.0), SETTINGS)
    assert alone.decision == Decision.SUGGEST and [h.entry.id for h in alone.suggestions] == ["0", "1", "2"]


def test_candidates_sharing_no_word_with_a_japanese_message_need_the_topic_models_own_probability() -> None:
    # 「ばか」: the best candidate's probability raised the topic score (on_topic) over the もしかして threshold.
    unrelated = replace(sharing(0.0, 0.0, 0.0, text="ばか"), on_topic=0.7, topic_probability=0.2)
    assert decide(unrelated, SETTINGS).decision == Decision.ESCALATE
    assert decide(replace(unrelated, topic_probability=0.5), SETTINGS).decision == Decision.SUGGEST
    # One candidate sharing a word: the usual topic score.
    assert decide(replace(unrelated, hits=sharing(0.0, 0.2, 0.0).hits), SETTINGS).decision == Decision.SUGGEST
    # In another language nothing is shared with Japanese entries, yet the encoder may still find the meaning.
    english = replace(sharing(0.0, 0.0, 0.0, text="how can i pay"), on_topic=0.7, topic_probability=0.2)
    assert decide(english, SETTINGS).decision == Decision.SUGGEST


def test_a_reading_in_common_does_not_ground_an_answer_a_content_word_does() -> None:
    from faq_bot.retrieval.decision import grounded
    from faq_bot.retrieval.signals import Signals

    def hit(coverage: float, lexical: float) -> Hit:
        signals = Signals(0.1, 0.1, 0.1, coverage, 0.0, 0.3, 1.0, 0.0, 2.0)
        return Hit(FaqEntry("1", "c", "q", "a"), 0.7, 0.9, lexical, "question", "q", signals)

    assert not grounded(hit(0.0, 0.12))  # 「ねこですか」: デス/スカ match a reading, no word is shared
    assert grounded(hit(0.3, 0.12))


def written(
    query: str, *phrasings: tuple[str, tuple[str, ...]], score: float = 0.3, words: tuple[str, ...] = ("請求書", "発行")
) -> Search:
    """A search whose candidates have these (question, alternates), the first one most probable (``score``, below the
    answer threshold)."""
    hits = tuple(
        Hit(FaqEntry(str(i), "c", q, f"a{i}", alts), score - i * 0.1, 0.9, 0.5, "alternate", q)
        for i, (q, alts) in enumerate(phrasings)
    )
    return Search(query, Analysis(query, words, ""), hits)


def test_a_message_that_is_an_entrys_own_alternate_is_answered_whatever_its_probability() -> None:
    # Staff added a visitor's wording as an alternate: the same words get that entry's answer.
    faq = (("請求書はダウンロードできますか", ("せいきゅしょ ダウンロドしたい",)), ("見積書の発行", ()))
    reply = decide(written("せいきゅしょ　ダウンロドしたい！", *faq), SETTINGS)  # width, space, punctuation aside
    assert reply.decision == Decision.ANSWER and reply.answer == "a0" and reply.exact
    assert decide(written("請求書はダウンロードできますか?", *faq), SETTINGS).exact
    # Another wording is judged by its probability, as before.
    other = decide(written("せいきゅしょをダウンロードしたい", *faq), SETTINGS)
    assert other.decision != Decision.ANSWER and not other.exact


def test_a_wording_two_candidates_share_or_a_lower_candidates_wording_decides_nothing() -> None:
    shared = (("請求書の発行", ("請求書が欲しい",)), ("請求書の再発行", ("請求書が欲しい",)))
    assert not decide(written("請求書が欲しい", *shared), SETTINGS).exact
    second = (("見積書の発行", ()), ("請求書の発行", ()))
    assert decide(written("請求書の発行", *second), SETTINGS).decision != Decision.ANSWER


def test_a_one_word_wording_or_one_that_differs_inside_decides_nothing() -> None:
    # 「請求書」 filed as an alternate of one entry names a topic several share: the probabilities decide.
    faq = (("請求書のダウンロード", ("請求書",)), ("請求情報の確認", ()))
    one_word = decide(written("請求書？", *faq, words=("請求書",)), SETTINGS)
    assert not one_word.exact and one_word.decision != Decision.ANSWER
    # Punctuation inside a wording is part of it: 1.5GB is not 15GB.
    sizes = (("容量は1.5GBまでですか", ()), ("容量の上限", ()))
    assert not decide(written("容量は15GBまでですか", *sizes), SETTINGS).exact
    assert decide(written("「容量は1.5GBまでですか」", *sizes), SETTINGS).exact


def test_an_answer_the_editors_wording_decided_keeps_the_models_probability() -> None:
    # (the answers to check list the answers the model was unsure of, these too)
    reply = decide(written("見積書を発行したい", ("見積書を発行したい", ()), ("見積書の再発行", ())), SETTINGS)
    assert reply.exact and reply.confidence == 0.3
