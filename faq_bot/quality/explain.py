"""Why the bot answers what it answers: the test console's view of one question.

For each of the top entries: the scores that ranked it, the probability that it answers
the question, and what each signal contributed to that probability; and for the question,
the topic model's probability that one of the first candidates answers (what もしかして
needs) with its contributions. Both models are linear in their standardised signals, so
the contributions add up to the log-odds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from faq_bot.assets import percent
from faq_bot.retrieval.confidence import ConfidenceModel, probability_of, topic_signals
from faq_bot.retrieval.decision import Decision, Reply, decide, topic_score
from faq_bot.retrieval.engine import Loaded
from faq_bot.retrieval.index import lexical_words
from faq_bot.retrieval.params import DecisionParams
from faq_bot.retrieval.retriever import Search
from faq_bot.retrieval.signals import Signals, SignalSet, TopicSignals

#: Where each signal's contribution is measured from: 0 for a signal whose 0 says "none of it" (no word the FAQ
#: never uses, no time asked for that the answer lacks, no lead over the second, a cosine at the FAQ's mean, the
#: FAQ's own distance from its subject), so such a row reads 0 when its signal says nothing. The models weigh
#: distances from the mean of their training data: 「FAQにない語の割合 0」 showed as a push one way or the other.
#: The others are measured from that mean, as the models do: the first candidate's probability and the share of
#: words in common (0 is no answer and no word: a low probability must still push toward 担当者へ案内), and the
#: message's length.
FROM_MEAN = frozenset({"best", "coverage", "length"})
ORIGIN = {name: 0.0 for name in (*Signals.names(), *TopicSignals.names()) if name not in FROM_MEAN}
#: The contribution row of the FAQ the answer model is adapted to (``faq_bot.retrieval.adaptation``).
FAQ_OFFSET = "faq_offset"
#: Japanese names of the signals, for staff.
SIGNAL_LABELS = {
    # The dense signals are cosines less the question's mean cosine to the whole FAQ (not the 密 column's score).
    "dense": "意味の近さ（FAQ全体との平均より上の分）",
    "dense_question": "質問・言い換えとの意味の近さ（FAQ全体との平均より上の分）",
    "dense_passage": "質問＋回答との意味の近さ（FAQ全体との平均より上の分）",
    "coverage": "質問の語をFAQ項目が含む割合",
    "unknown": "尋ねている語のうちFAQ全体にない語の割合",
    "margin": "2位以下との差",
    "twin_lead": "内容のごく近い項目を除くと広がる差",
    "agreement": "意味と語の両方で1位",
    "asked_missing": "尋ねている時期・料金が回答にない",
    "length": "メッセージの長さ",
    "domain": "FAQの主題との近さ",
    "unknown_meaning": "FAQにない語が担う意味の大きさ",
    "best": "1位の候補が答えである確率",
    FAQ_OFFSET: "このFAQ向けの一律の補正（回答を控えめにする）",
}


@dataclass(frozen=True)
class Contribution:
    """One signal: its value and its share of the log-odds (+ toward answering, − against)."""

    name: str
    label: str
    value: float
    contribution: float


@dataclass(frozen=True)
class ExplainedHit:
    """One of the top entries with every score, its probability and the query tokens it shares."""

    rank: int
    id: str
    category: str
    question: str
    score: float
    dense: float
    lexical: float
    probability: float
    matched: str  # question | alternate | answer
    matched_text: str
    shared_tokens: tuple[str, ...]
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class Explanation:
    """A question, what the text side made of it, the hits and the decision with its thresholds."""

    query: str
    normalized: str
    focus: str | None  # the asking sentence of a message of several sentences
    tokens: tuple[str, ...]
    unknown_words: tuple[str, ...]  # the question's words the whole FAQ never uses
    # Of those, the ones only in the message's other sentences (greeting, circumstances): not counted in the share
    # of words the FAQ never uses, which is the asking sentence's; empty for a message of one sentence.
    unknown_elsewhere: tuple[str, ...]
    mended_words: tuple[str, ...]  # FAQ words put in for words typed with the IME's other choice (会員 for 海員)
    reading: str
    decision: str
    confidence: float
    # The first candidate's probability as fitted, what もしかして weighs (``Hit.candidate_confidence``): the same as
    # ``confidence`` unless this FAQ's adjustment (``faq_offset``) lowered what an answer gets.
    candidate_confidence: float
    answer_threshold: float
    suggest_threshold: float
    candidate_threshold: float  # a candidate below it is not offered (もしかして)
    intercept: float  # the answer model's log-odds where the contributions start (``ORIGIN``)
    # Added to every candidate's log-odds on this FAQ (``faq_bot.retrieval.adaptation``; 0: as fitted).
    faq_offset: float
    on_topic: float  # probability that one of the first candidates answers (the topic model)
    topic_intercept: float
    topic_contributions: tuple[Contribution, ...]
    unanswered: tuple[str, ...]  # what the question asks for that the best entry does not say
    # The best entry was probable enough, but the topic model's own probability was not: far from the FAQ's subject.
    off_subject: bool
    # Not answered because the best entry shares no word with the question (``grounded``), or no candidates because
    # none shares one (``topic_score``): with shared words the reply would have been another.
    no_shared_words: bool
    # Why a probable enough entry was not the answer, in the words the console and the batch test use (``reason``).
    reason: str
    hits: tuple[ExplainedHit, ...]
    faq_version: str
    reply: Reply

    @property
    def base_probability(self) -> float:
        """The answer model's probability where the contributions start (``intercept``: every signal at ``ORIGIN``)."""
        return probability_of(self.intercept)

    @property
    def topic_base_probability(self) -> float:
        """The topic model's probability where its contributions start (``topic_intercept``)."""
        return probability_of(self.topic_intercept)

    @property
    def topic_sum(self) -> float:
        """The topic model's own probability: its base plus every contribution (``on_topic`` is never below the
        first candidate's probability, so it may be higher)."""
        # Rounded as ``on_topic`` is, so that the two read the same where they are the same.
        return round(probability_of(self.topic_intercept + sum(c.contribution for c in self.topic_contributions)), 4)


def explain(loaded: Loaded, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Explanation:
    """Ask and show the workings."""
    reply = loaded.ask(query, categories, k)
    retriever = loaded.retriever
    analysis = reply.search.analysis
    query_tokens = set(analysis.words)
    unknown = retriever.index.words.unknown_terms(analysis.words)
    hits = []
    for rank, h in enumerate(reply.search.hits[:k], 1):
        entry_tokens = set(lexical_words(h.entry, retriever.analyzer))
        shared = tuple(t for t in dict.fromkeys(analysis.words) if t in entry_tokens and t in query_tokens)
        contributions = _contributions(loaded.model.answer, h.signals)
        if contributions and loaded.model.faq_offset:  # one more row, the same for every candidate
            offset = round(loaded.model.faq_offset, 4)
            contributions += (Contribution(FAQ_OFFSET, SIGNAL_LABELS[FAQ_OFFSET], offset, offset),)
        hits.append(
            ExplainedHit(
                rank, h.entry.id, h.entry.category, h.entry.question, round(h.score, 4), round(h.dense, 4),
                round(h.lexical, 4), round(h.confidence, 4), h.matched, h.matched_text, shared, contributions,
            )
        )  # fmt: skip
    decision = loaded.params.decision
    topic = loaded.model.topic
    # A compound and its parts are all words (領収書, 領収): the longest says it.
    unknown_words = tuple(
        w for w in dict.fromkeys(analysis.words) if w in unknown and not any(w != o and w in o for o in unknown)
    )
    focus = reply.search.focus
    asked = set(retriever.analyze(focus).words) if focus else set(analysis.words)
    off_subject, no_shared_words = _off_subject(reply, decision), _no_shared_words(reply, decision)
    return Explanation(
        query=query,
        normalized=analysis.normalized,
        focus=focus,
        tokens=analysis.words,
        unknown_words=unknown_words,
        unknown_elsewhere=tuple(w for w in unknown_words if w not in asked),
        mended_words=tuple(w for w in dict.fromkeys(analysis.words) if w in analysis.mended),
        reading=analysis.reading,
        decision=reply.decision.value,
        confidence=round(reply.confidence, 4),
        candidate_confidence=round(reply.search.hits[0].candidate_confidence if reply.search.hits else 0.0, 4),
        answer_threshold=decision.answer_threshold,
        suggest_threshold=decision.suggest_threshold,
        candidate_threshold=decision.candidate_threshold,
        # As fitted: the offset is a row.
        intercept=round(loaded.model.answer.base(ORIGIN) - loaded.model.faq_offset, 4),
        faq_offset=round(loaded.model.faq_offset, 4),
        on_topic=round(topic_score(reply.search, decision.suggestion_count), 4),
        topic_intercept=round(topic.base(ORIGIN), 4) if topic is not None else 0.0,
        topic_contributions=_contributions(topic, topic_signals(reply.search)),
        unanswered=reply.unanswered,
        # Only when the topic model's bar was the reason: without it, the same search would be answered.
        off_subject=off_subject,
        no_shared_words=no_shared_words,
        reason=_worded(reply, decision, off_subject, no_shared_words),
        hits=tuple(hits),
        faq_version=loaded.faq_version,
        reply=reply,
    )


def _sharing(search: Search) -> Search:
    """The same search as if every candidate had a word in common with the message."""
    return search.with_hits(
        [
            replace(h, signals=replace(h.signals, coverage=1.0)) if h.signals else replace(h, lexical=1.0)
            for h in search.hits
        ]
    )


def _no_shared_words(reply: Reply, params: DecisionParams) -> bool:
    """True when the rule on shared words decided: the same search, every candidate sharing a word, would get
    another reply (an answer instead of もしかして, candidates instead of an escalation)."""
    if reply.decision in (Decision.ANSWER, Decision.SMALLTALK) or reply.outside is not None:
        return False
    return _shown(decide(_sharing(reply.search), params)) != _shown(reply)


def _off_subject(reply: Reply, params: DecisionParams) -> bool:
    """True when the topic model's bar kept an answer back: with shared words (that rule aside), the search would
    be answered without that bar and is not with it."""
    if reply.decision == Decision.ANSWER or reply.outside is not None:
        return False
    sharing = _sharing(reply.search)
    lifted = decide(replace(sharing, topic_probability=None), params).decision == Decision.ANSWER
    return lifted and decide(sharing, params).decision != Decision.ANSWER


#: ``reason`` for an answer the editors' wording decided (``written_for``).
EXACT = "FAQの質問・言い換えと同じ文のため"


def reason(reply: Reply, params: DecisionParams) -> str:
    """Why a probable enough entry was not the answer, as the test console says it (empty when nothing but the
    probabilities decided): what was asked is not in its answer, the message is far from the FAQ's subject, or it
    shares no word with the entry (or with any candidate)."""
    if reply.exact:
        return _exact(reply)
    if reply.decision in (Decision.ANSWER, Decision.SMALLTALK) or not reply.search.hits:
        return ""
    return _worded(reply, params, _off_subject(reply, params), _no_shared_words(reply, params))


def _exact(reply: Reply) -> str:
    """``reason`` for an answer the editors' wording decided, with the model's own probability (which did not)."""
    return f"{EXACT}、確率 {percent(reply.confidence)} でも回答します"


def _worded(reply: Reply, params: DecisionParams, off_subject: bool, no_shared_words: bool) -> str:
    """``reason`` from the rules that decided (``_off_subject``, ``_no_shared_words``: never for an answer or small
    talk; the bars on a candidate's own probability and on the lead), measured once."""
    first = f"1位の確率 {percent(reply.confidence)} ですが、"
    if reply.exact:
        return _exact(reply)
    if reply.unanswered:
        return f"尋ねている{'・'.join(reply.unanswered)}が回答にありません"
    if reply.outside is not None:
        other = reply.outside
        return first + (
            f"選んだ分類の外に、より確率の高い項目（{other.entry.id}「{other.entry.question[:30]}」、分類 "
            f"{other.entry.category}、{percent(other.confidence)}）があるため、選んだ分類からは回答しません"
        )
    if off_subject:
        return first + "FAQの主題から遠いため回答しません"
    if no_shared_words:
        if reply.decision == Decision.ESCALATE:
            return "上位の候補のどれとも共通の語がありません"
        return first + "1位の項目と共通の語がないため回答しません"
    hits, n = reply.search.hits, params.suggestion_count
    # The two bars that can be all that stood in the way: the same search without the bar gets the other reply.
    if (
        reply.decision == Decision.SUGGEST
        and params.answer_margin > 0
        and decide(reply.search, replace(params, answer_margin=0.0)).decision == Decision.ANSWER
    ):
        return first + f"2位との差が {params.answer_margin * 100:.1f}ポイント未満のため回答しません"
    if (
        reply.decision == Decision.ESCALATE
        and params.candidate_threshold > 0
        and decide(reply.search, replace(params, candidate_threshold=0.0)).decision == Decision.SUGGEST
    ):
        on_topic, bar = percent(topic_score(reply.search, n)), percent(params.candidate_threshold)
        # もしかして weighs the probabilities as fitted: before this FAQ's adjustment, where it has one.
        fitted = "（このFAQに合わせた補正の前）" if any(h.fitted_probability is not None for h in hits[:n]) else ""
        return (
            f"候補のどれかが答えである確率は {on_topic} ですが、"
            f"どの候補も確率{fitted}が {bar} に届かないため、もしかしてを示しません"
        )
    return ""


def _shown(reply: Reply) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """What a visitor sees of a reply: the decision, the candidates offered, the related questions listed."""
    return reply.decision.value, tuple(h.entry.id for h in reply.suggestions), tuple(h.entry.id for h in reply.related)


def _contributions(model: ConfidenceModel | None, signals: SignalSet | None) -> tuple[Contribution, ...]:
    if model is None or signals is None:
        return ()
    values = signals.as_dict()
    # (+ 0.0: a -0.0 would show as 「-0.00」)
    return tuple(
        Contribution(name, SIGNAL_LABELS.get(name, name), round(values[name], 4), round(c, 4) + 0.0)
        for name, c in model.contributions(signals, ORIGIN)
    )
