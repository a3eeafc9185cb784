"""The retrieval core's parameters: small frozen values built from ``Settings`` by the caller.

The core never sees the whole settings object (no admin token, no page titles): only
what changes how an index is built, how a question is searched and how it is decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class IndexParams:
    """What changes the content of a build (recorded in its manifest)."""

    index_type: Literal["flat", "hnsw"] = "flat"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    encode_batch_size: int = 32


@dataclass(frozen=True)
class SearchParams:
    """How one question is scored against an index."""

    dense_weight: float = 0.7
    # The dense side is the best cosine minus the query's mean cosine to the FAQ (mE5's raw
    # cosines are bunched in 0.80-0.95); this range of it maps onto 0..1 before mixing.
    dense_floor: float = 0.0
    dense_ceiling: float = 0.15
    candidates: int = 50
    hnsw_ef_search: int = 128
    hnsw_rescore_cap: int = 3000
    # Names of what the FAQ is about (site, service, company): context, not topic, in the asking
    # sentence of a long message (``faq_bot.retrieval.views.without_subject``).
    subject_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionParams:
    """How a search becomes answer / suggest / escalate, and what an escalation says."""

    # Probabilities that an entry answers the question (``faq_bot.retrieval.confidence``).
    answer_threshold: float = 0.455
    suggest_threshold: float = 0.284  # probability that one of the first ``suggestion_count`` candidates answers
    candidate_threshold: float = 0.05  # a candidate below this is not offered
    answer_margin: float = 0.0
    check_asked_kind: bool = True
    suggestion_count: int = 3
    related_threshold: float = 0.1
    show_related: bool = True
    escalation_text: str = "弊社担当者、またはお問い合わせフォームにお問い合わせください。"
    contact_url: str = "https://example.com/contact"
    # (kind, reply) for greetings, thanks, goodbyes, "who are you?" and a message that asks nothing
    # (「すみません」, 「はい」); empty: treated like any question (a message that asks nothing: escalated).
    smalltalk_replies: tuple[tuple[str, str], ...] = (
        ("greeting", "こんにちは。ご質問をどうぞ。"),
        ("thanks", "どういたしまして。ほかにもご質問があればどうぞ。"),
        ("goodbye", "ご利用ありがとうございました。"),
        (
            "about_bot",
            "FAQの内容をもとに自動でお答えするチャットボットです。ご質問をどうぞ。"
            "担当者とのやり取りをご希望の場合は、お問い合わせフォームからお問い合わせください。",
        ),
        (
            "no_question",
            "どのようなご用件でしょうか。お知りになりたいことを具体的に入力してください。"
            "担当者へのお問い合わせは、お問い合わせフォームからどうぞ。",
        ),
    )


@dataclass(frozen=True)
class StoreParams:
    """Where the FAQ file, its synonym table and its builds live."""

    faq_path: Path
    index_dir: Path
    synonyms_path: Path | None = None
    max_faq_bytes: int = 20_000_000
    keep_versions: int = 10


@dataclass(frozen=True)
class RetrievalParams:
    """Everything the engine needs: files, index, search and decision parameters, the reply cache size."""

    store: StoreParams
    index: IndexParams = field(default_factory=IndexParams)
    search: SearchParams = field(default_factory=SearchParams)
    decision: DecisionParams = field(default_factory=DecisionParams)
    decision_model: Path | None = None  # the fitted decision model; None: the shipped one
    reply_cache_size: int = 2048
