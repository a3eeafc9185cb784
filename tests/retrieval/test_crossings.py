"""Near misses a FAQ makes of its own questions: one question's subject, another's predicate."""

from __future__ import annotations

import random

from faq_bot.content.faq import FaqEntry
from faq_bot.retrieval.crossings import crossed_questions, subject_and_predicate


def _entries(questions: list[str], alternates: dict[int, tuple[str, ...]] | None = None) -> list[FaqEntry]:
    extra = alternates or {}
    return [FaqEntry(str(i), "c", q, "a", extra.get(i, ())) for i, q in enumerate(questions)]


QUESTIONS = [
    "住民票の写しを取りたいのですが、どこで、何が必要ですか。",
    "印鑑登録証明書を取るには何が必要ですか。",
    "国民年金保険料の納め方を教えてください。",
    "犬を飼い始めたのですが、どのような手続きが必要ですか。",
    "市営住宅に入居したいのですが、申込み方法を教えてください。",
    "見積書は何度でも発行できますか",
]


def test_a_question_splits_at_its_first_particle_into_subject_and_predicate() -> None:
    assert subject_and_predicate("住民票の写しを取りたいのですが") == ("住民票", "の写しを取りたいのですが")
    assert subject_and_predicate("見積書は何度でも発行できますか") == ("見積書", "は何度でも発行できますか")
    assert subject_and_predicate("オンラインマーケットとは、何ですか") == ("オンラインマーケット", "とは、何ですか")
    assert subject_and_predicate("市役所へ行く方法を教えて") == ("市役所", "へ行く方法を教えて")
    assert subject_and_predicate("How can I pay?") is None  # no particle: no subject to cross
    assert subject_and_predicate("請求書") is None
    assert subject_and_predicate("見積書は？") is None  # a predicate too short to ask anything


def test_a_question_of_several_sentences_is_split_at_its_asking_sentence() -> None:
    question = "会社を解雇されて収入が減りました。国民健康保険税の軽減はありますか。"
    assert subject_and_predicate(question) == ("国民健康保険税", "の軽減はありますか。")


def test_each_crossing_joins_one_entrys_subject_to_anothers_predicate() -> None:
    halves = [h for q in QUESTIONS if (h := subject_and_predicate(q)) is not None]
    made = {a[0] + b[1] for a in halves for b in halves if a != b}
    crossed = crossed_questions(_entries(QUESTIONS))
    assert len(crossed.questions) == len(set(crossed.questions)) == len(made)  # every pair, once: 30 of six
    assert set(crossed.questions) == made and crossed.sources == 6
    assert "国民年金保険料の写しを取りたいのですが、どこで、何が必要ですか。" in crossed.questions


def test_the_faqs_own_questions_and_alternates_are_never_a_crossing_however_written() -> None:
    questions = ["見積書は発行できますか", "請求書は発行できますか。", "請求書はいつ届きますか"]
    questions.append("パスワードを変更したい")
    entries = _entries(questions, {2: ("見積書は、いつ届きますか",)})
    crossed = crossed_questions(entries).questions
    assert "見積書はいつ届きますか" not in crossed  # an alternate, written with a comma
    assert "請求書は発行できますか" not in crossed  # a question, written without its 。
    assert "見積書は発行できますか。" not in crossed  # 見積書 + は発行できますか。: its own question
    assert "見積書を変更したい" in crossed and "パスワードはいつ届きますか" in crossed  # the others stay


def test_there_are_at_most_sample_crossings_and_none_without_two_splittable_questions() -> None:
    entries = _entries([f"項目{i}の手続きを教えてください{i}" for i in range(40)])
    crossed = crossed_questions(entries, sample=30)
    assert len(crossed.questions) == 30 and crossed.sources == 40
    assert crossed_questions(_entries(["How do I order?", "請求書"])).questions == ()
    assert crossed_questions(_entries(["見積書は発行できますか"])).questions == ()


def test_the_crossings_do_not_depend_on_the_entries_order() -> None:
    entries = _entries([f"書類{i}の写しを取る方法{i}を教えて" for i in range(30)])
    shuffled = entries.copy()
    random.Random(3).shuffle(shuffled)
    assert crossed_questions(shuffled, sample=50) == crossed_questions(entries, sample=50)


def test_an_edit_or_a_new_entry_keeps_the_crossings_of_the_entries_it_does_not_touch() -> None:
    entries = _entries([f"書類{i}の写しを取る方法{i}を教えて" for i in range(60)])
    before = set(crossed_questions(entries, sample=60).questions)
    edited = [*entries[:30], FaqEntry("30", "c", "別の書類の控えを取る方法を教えて", "a"), *entries[31:]]
    after = set(crossed_questions(edited, sample=60).questions)
    assert before - after and all("30" in t for t in before - after)  # only those made of its halves
    assert all("別の書類" in t or "の控えを取る" in t for t in after - before)
    added = [*entries, FaqEntry("new", "c", "新しい証明書の控えを取る手順を教えて", "a")]
    grown = set(crossed_questions(added, sample=60).questions)
    assert len(before - grown) <= 2  # the new entry takes the places of at most its two neighbours' pairs
    assert all("新しい証明書" in t or "の控えを取る手順" in t for t in grown - before)
