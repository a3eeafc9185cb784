"""``faq-bot ask``: one question, the decision and the scores behind it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from faq_bot.cli.common import engine_for, settings_from
from faq_bot.quality.explain import Contribution, explain
from faq_bot.retrieval.decision import Reply, entry_ref, reply_data


def reply_dict(reply: Reply) -> dict[str, Any]:
    """A reply as plain data with the workings (``ask --json``)."""

    return {
        "query": reply.search.query,
        **reply_data(reply),
        "unanswered": list(reply.unanswered),
        "normalized": reply.search.analysis.normalized,
        "tokens": list(reply.search.analysis.words),
        "hits": [
            {
                **entry_ref(h.entry),
                "score": round(h.score, 4),
                "dense": round(h.dense, 4),
                "lexical": round(h.lexical, 4),
                "probability": round(h.confidence, 4),
                "matched": h.matched,
            }
            for h in reply.search.hits
        ],
    }


def cmd_ask(args: argparse.Namespace) -> int:
    settings = settings_from(args, aside=True)
    engine = engine_for(settings, quiet=args.json)
    if args.json:
        print(json.dumps(reply_dict(engine.ask(args.question, args.category or None, k=args.top_k)),
                         ensure_ascii=False, indent=2))  # fmt: skip
        return 0
    why = explain(engine.current, args.question, args.category or None, k=args.top_k)
    reply = why.reply
    print(f"判定: {reply.decision.label} ({reply.decision})  1位の確率: {reply.confidence:.3f}")
    print(
        f"しきい値: 回答 ≥ {settings.answer_threshold:.3f}（確率）, "
        f"もしかして: 上位の候補のどれかが答えである確率 ≥ {settings.suggest_threshold:.3f}"
        f"（候補に示すのは確率 ≥ {settings.candidate_threshold:.3f} の項目）"
    )
    if reply.search.focus:
        print(f"尋ねている文: {reply.search.focus}")
    if reply.decision == "smalltalk":
        print(f"\n{reply.answer}")
    if reply.hit:
        print(f"\n[{reply.hit.entry.id}] {reply.hit.entry.question}\n{reply.answer}")
    for h in reply.suggestions:
        print(f"  候補 [{h.entry.id}] {h.entry.question}")
    if reply.unanswered:
        print(f"理由: 質問は「{'」「'.join(reply.unanswered)}」を尋ねていますが、1位の回答にその記載がありません")
    elif why.reason:
        print(f"理由: {why.reason}")
    if reply.escalation:
        print(f"\n{reply.escalation.text}\n{reply.escalation.contact_url}")
    for h in reply.related:
        print(f"  関連 [{h.entry.id}] {h.entry.question}")
    print("\n順位  id    確率   総合   密    語彙   一致   質問")
    for rank, h in enumerate(reply.search.hits[: args.top_k], 1):
        print(
            f"{rank:>3}  {h.entry.id:>4}  {h.confidence:.3f}  {h.score:.3f}  {h.dense:.3f}  {h.lexical:.2f}  "
            f"{h.matched:<9}  {h.entry.question}"
        )
    if why.hits and why.hits[0].contributions:
        _print_contributions("1位の判定の内訳", why.intercept, why.hits[0].contributions)
    if why.topic_contributions:
        title = f"もしかしての判定の内訳（上位のどれかが答えである確率 {why.on_topic:.3f}）"
        _print_contributions(title, why.topic_intercept, why.topic_contributions)
    return 0


def _print_contributions(title: str, intercept: float, contributions: Sequence[Contribution]) -> None:
    print(f"\n{title}（対数オッズへの寄与、基準 {intercept:+.2f}）:")
    for c in sorted(contributions, key=lambda c: -abs(c.contribution)):
        print(f"  {c.contribution:+.2f}  {c.label}（{c.name} = {c.value:.3f}）")
