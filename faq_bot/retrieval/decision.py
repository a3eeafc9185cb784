"""The decision for one question: answer with one entry, suggest candidates, or escalate."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from faq_bot.content.faq import FaqEntry
from faq_bot.retrieval.asked import unanswered_kinds
from faq_bot.retrieval.params import DecisionParams
from faq_bot.retrieval.retriever import Hit, Search
from faq_bot.retrieval.smalltalk import SmallTalkKind, greeting_reply, recognise
from faq_bot.text.analyzer import Analysis
from faq_bot.text.normalize import normalize, writes_japanese

#: How much more than the escalation text a referral answer may say (a lead-in such as
#: 「対応方法を検討させていただきますので、」).
REFERRAL_SLACK = 40


class Decision(StrEnum):
    """What the bot does with a question."""

    ANSWER = "answer"  # one entry is confidently right
    SUGGEST = "suggest"  # "もしかして": a few candidate questions
    ESCALATE = "escalate"  # the FAQ does not cover it: contact a person
    SMALLTALK = "smalltalk"  # a greeting, thanks or goodbye: a friendly reply, not a question

    @property
    def label(self) -> str:
        """The decision in the words staff read (reports, CSVs, the CLI)."""
        return _LABELS[self]


_LABELS = {Decision.ANSWER: "回答", Decision.SUGGEST: "もしかして", Decision.ESCALATE: "担当者へ案内",
           Decision.SMALLTALK: "あいさつ"}  # fmt: skip


def decision_label(code: str) -> str:
    """The label of a decision stored as its code (an unknown code as it is)."""
    try:
        return Decision(code).label
    except ValueError:
        return code


@dataclass(frozen=True)
class Escalation:
    """Where a visitor goes when the FAQ has no answer."""

    text: str
    contact_url: str


@dataclass(frozen=True)
class Reply:
    """The bot's reply to one question, with the search it was based on."""

    decision: Decision
    search: Search
    answer: str
    hit: Hit | None  # the answering entry's hit, for ANSWER
    suggestions: tuple[Hit, ...]
    escalation: Escalation | None
    # Labels of what the question asks for (a time, a price) that the best entry does not
    # say: why a high-scoring entry was not used (see ``faq_bot.asked``).
    unanswered: tuple[str, ...] = ()
    # With an escalation: entries that may still help ("関連する質問"), never an answer.
    related: tuple[Hit, ...] = ()
    # An answer because the message is the entry's own question or alternate (``written_for``), which the
    # probabilities alone would not have given.
    exact: bool = False
    # Not answered within the categories the visitor chose: this entry outside them is more probable (``outranked``).
    outside: Hit | None = None

    @property
    def confidence(self) -> float:
        """The best hit's probability of answering the question, 0..1 (0 with no hit); the model's, also for an answer
        the editors' wording decided (``exact``): the answers to check list those it was unsure of."""
        return self.search.hits[0].confidence if self.search.hits else 0.0


def wording(text: str) -> str:
    """A text as ``written_for`` compares it: normalised, without white space, and without the punctuation it starts
    or ends with (「？」, 「。」; inside, 1.5 and 15 stay apart)."""
    kept = "".join(ch for ch in normalize(text) if not unicodedata.category(ch).startswith("Z"))
    edges = [i for i, ch in enumerate(kept) if not unicodedata.category(ch).startswith("P")]
    return kept[edges[0] : edges[-1] + 1] if edges else ""


#: Content words a message needs for its wording alone to decide (``written_for``): a single word (「請求書」) names a
#: topic several entries share, however an editor filed it.
EXACT_MIN_WORDS = 2


def written_for(search: Search) -> bool:
    """True if the message is the first candidate's own question or one of its alternates, word for word (white
    space, surrounding punctuation, full and half width aside), asks with at least ``EXACT_MIN_WORDS`` content words,
    and no other candidate has that phrasing: editors wrote it for that entry (staff's 「言い換えとして追加」 for a
    logged question), so it is answered whatever the probability says (``decide`` still escalates it if it asks for
    a time or a price the answer does not name)."""
    key = wording(search.query)
    if not key or not search.hits or len(set(search.analysis.words)) < EXACT_MIN_WORDS:
        return False

    def owns(hit: Hit) -> bool:
        return key in {wording(t) for t in (hit.entry.question, *hit.entry.alternates)}

    # The first candidate first: most messages are no phrasing of it, and the others need no look then.
    return owns(search.hits[0]) and not any(owns(h) for h in search.hits[1:])


def names_nothing(analysis: Analysis) -> bool:
    """True for a message without one content word (「あああ」, 「できますか？」, emoji): no entry can be meant."""
    return not analysis.words


def grounded(hit: Hit) -> bool:
    """True when the entry has a content word in common with the message (``Signals.coverage``; a hiragana word
    respelled with the FAQ's word counts, a kanji typo mended to it does not: the visitor did not write it):
    an answer needs that much besides the vectors. Readings do not count: です and ですか give sound pairs
    nearly every entry has (「ねこですか」). A message sharing no word with its best entry can still be near it
    in meaning (a paraphrase in other words, another language), so it may get もしかして. A hit without
    signals is judged by its lexical score."""
    return hit.signals.coverage > 0 if hit.signals is not None else hit.lexical > 0


def shares_nothing(search: Search, n: int) -> bool:
    """True for a message in Japanese that has no content word in common with any of its first ``n`` candidates.
    A message in another language may share nothing with Japanese entries and still mean the same (the encoder
    reads across languages): it is left to the models."""
    return writes_japanese(search.analysis.normalized) and not any(grounded(h) for h in search.hits[:n])


def topic_score(search: Search, n: int) -> float:
    """How likely one of the first ``n`` candidates answers, what the もしかして threshold sees: the topic model's
    probability (``Search.on_topic``, never below the best candidate's own), or, without a topic model (a
    decision model file of format 1, as fitted before there was one), their probabilities summed, as the
    threshold then meant. When the candidates share no word with a Japanese message (``shares_nothing``), the
    best one's probability is no sign that the message is about them (「ばか」 near 「分からないことがあり、
    相談したいです」): the topic model's own probability alone counts."""
    if search.on_topic is not None:
        own = search.topic_probability
        return own if own is not None and shares_nothing(search, n) else search.on_topic
    return sum(h.candidate_confidence for h in search.hits[:n])


def decide(search: Search, params: DecisionParams) -> Reply:
    """Answer, suggest or escalate, from the hits' probabilities (most probable first).

    A greeting, thanks or goodbye (``faq_bot.retrieval.smalltalk``) gets its friendly reply.
    ``answer`` when the best entry very likely answers (``answer_threshold``, and a lead of
    ``answer_margin`` over the next); ``suggest`` ("もしかして") when one of the first few
    likely does (``topic_score`` reaches ``suggest_threshold``: on the FAQ's subject, with
    plausible candidates); else
    ``escalate``, listing entries above ``related_threshold`` as related questions. A question
    that asks for a time, a price or a number is escalated when its best entry names none, however
    probable: the FAQ does not say what was asked; so is a message with no content word at all. An answer
    needs a content word in common with its entry (``grounded``); without one it is もしかして at most, and
    only if the topic model alone finds the message on the FAQ's subject (``topic_score``). Narrowed to categories,
    it is not answered from them when an entry outside them is more probable (``outranked``): もしかして or an
    escalation within them, as for any unsure question. A message that is an
    entry's own question or alternate is answered with it (``written_for``): the editors' word decides (but for
    what was asked, a time or a price, that its answer does not say).
    """
    talk = recognise(search.query) if params.smalltalk_replies else None
    if talk is not None:
        reply_text = _smalltalk_reply(params, talk.kind)
        if talk.kind is SmallTalkKind.GREETING:
            reply_text = greeting_reply(talk, reply_text)
        if reply_text:
            return Reply(Decision.SMALLTALK, search, reply_text, None, (), None)
    if names_nothing(search.analysis):  # whatever the vectors say: no candidates, no related entries
        # Nothing asked yet (「すみません」, 「はい」, 「？」): ask for the question, not "the FAQ has no answer".
        prompt = _smalltalk_reply(params, SmallTalkKind.NO_QUESTION)
        if prompt:
            return Reply(Decision.SMALLTALK, search, prompt, None, (), None)
        return _escalate(search, params, related=False)
    hits = search.hits
    if not hits:
        return _escalate(search, params)
    top = hits[0]
    if params.check_asked_kind:
        # What the asking sentence asks for (a charge or a date in the context, 「年会費は払っています。」,
        # is not what the message asks); ``focus`` gives it normalised already.
        missing = unanswered_kinds(search.focus or search.analysis.normalized, top.entry)
        if missing:
            return _escalate(search, params, tuple(k.label for k in missing))
    p = [h.confidence for h in hits]
    lead = p[0] - p[1] if len(p) > 1 else p[0]
    # Both models must find it answerable: a one-word message far from the FAQ's subject (「ねこ」) can
    # look like a clear single match to the answer model, which does not see how far the subject is. (The topic
    # model sees the best probability as fitted: on a FAQ whose adjustment lowered ``p``, ``p`` is the stricter bar.)
    on_subject = search.topic_probability is None or search.topic_probability >= params.answer_threshold
    answerable = p[0] >= params.answer_threshold and lead >= params.answer_margin and on_subject and grounded(top)
    # Narrowed to categories: not answered from them when the whole FAQ has a more probable entry outside them.
    outside = outranked(search) if answerable else None
    if answerable and outside is None:
        return Reply(Decision.ANSWER, search, top.entry.answer, top, (), None)
    if written_for(search):  # only what the wording decided is marked so (the console says why)
        return Reply(Decision.ANSWER, search, top.entry.answer, top, (), None, exact=True)
    n = params.suggestion_count
    candidates = tuple(h for h in hits[:n] if h.candidate_confidence >= params.candidate_threshold)
    if candidates and topic_score(search, n) >= params.suggest_threshold:
        # The escalation rides along: 「どれにも当てはまらない」 leads to a person.
        escalation = Escalation(params.escalation_text, params.contact_url)
        return Reply(Decision.SUGGEST, search, "", None, candidates, escalation, outside=outside)
    return replace(_escalate(search, params), outside=outside)


def outranked(search: Search) -> Hit | None:
    """For a judged search narrowed to categories: the entry outside them that the same question over the whole FAQ
    finds more probable than the narrowed search's first entry, both as the whole FAQ judges them (None: there is
    none, or the search was not narrowed). A category is where the visitor looks, not what they ask: 「クレカで払え
    ますか」 under 請求 is not 振込先's question because 振込先 leads the entries of 請求 — its lead there inflates its
    probability; over the whole FAQ, クレジットカード (under 契約) is the more probable."""
    whole = search.unnarrowed
    if whole is None or not search.hits or not whole.hits:
        return None
    first = search.hits[0].entry.id
    as_whole = next((h.confidence for h in whole.hits if h.entry.id == first), 0.0)
    outside = next((h for h in whole.hits if h.entry.category not in search.within), None)
    return outside if outside is not None and outside.confidence > as_whole else None


def _smalltalk_reply(params: DecisionParams, kind: SmallTalkKind) -> str:
    """The configured reply to a kind of small talk ("": none, treat it as a question)."""
    return next((text for k, text in params.smalltalk_replies if k == kind.value), "")


def _escalate(
    search: Search, params: DecisionParams, unanswered: tuple[str, ...] = (), *, related: bool = True
) -> Reply:
    near: tuple[Hit, ...] = ()
    if related and params.show_related:
        n = params.suggestion_count
        near = tuple(h for h in search.hits[:n] if h.candidate_confidence >= params.related_threshold)
    escalation = Escalation(params.escalation_text, params.contact_url)
    return Reply(Decision.ESCALATE, search, params.escalation_text, None, (), escalation, unanswered, near)


def is_referral(entry: FaqEntry, params: DecisionParams) -> bool:
    """True when an entry's answer only refers the visitor to a person (the escalation text, little else)."""
    answer = normalize(entry.answer)
    core = normalize(params.escalation_text).rstrip("。.")
    return bool(core) and core in answer and len(answer) - len(core) <= REFERRAL_SLACK


def entry_ref(entry: FaqEntry) -> dict[str, str]:
    """An entry as a reference: id, category and question (no answer)."""
    return {"id": entry.id, "category": entry.category, "question": entry.question}


def reply_data(reply: Reply) -> dict[str, Any]:
    """A reply as plain data: what the API returns and ``faq-bot ask --json`` prints."""
    escalation = reply.escalation
    return {
        "decision": reply.decision.value,
        "answer": reply.answer,
        "entry": entry_ref(reply.hit.entry) if reply.hit else None,
        "confidence": round(min(max(reply.confidence, 0.0), 1.0), 4),
        "suggestions": [entry_ref(h.entry) for h in reply.suggestions],
        "escalation": {"text": escalation.text, "contact_url": escalation.contact_url} if escalation else None,
        "related": [entry_ref(h.entry) for h in reply.related],
    }
