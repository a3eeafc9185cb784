"""The batch coverage report: result table, summaries, confused pairs, plots, CSV and HTML."""

from __future__ import annotations

import base64
import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from faq_bot.config import Settings
from faq_bot.evaluate import Outcome, Report

JAPANESE_FONTS = ["IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "TakaoGothic", "DejaVu Sans"]


@dataclass(frozen=True)
class Row:
    """One question of a batch test."""

    query: str
    expected: str
    got: str
    decision: str
    rank: int | None
    score: float
    dense: float
    lexical: float
    ok: bool


def rows(report: Report) -> list[Row]:
    """The result table."""
    out = []
    for o in report.outcomes:
        top = o.reply.search.hits[0] if o.reply.search.hits else None
        got = o.reply.hit.entry.id if o.reply.hit else (top.entry.id if top else "")
        out.append(
            Row(
                o.query.query,
                ",".join(o.query.gold),
                got,
                o.reply.decision.value,
                o.rank,
                round(top.score, 4) if top else 0.0,
                round(top.dense, 4) if top else 0.0,
                round(top.lexical, 4) if top else 0.0,
                o.ok,
            )
        )
    return out


def confused_pairs(outcomes: Sequence[Outcome], top: int = 10) -> list[tuple[str, str, int]]:
    """(expected id, id ranked first instead, count), most frequent first."""
    pairs: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        hits = o.reply.search.hits
        if o.in_scope and hits and hits[0].entry.id not in o.query.gold:
            pairs[(o.query.gold[0], hits[0].entry.id)] += 1
    return [(a, b, n) for (a, b), n in pairs.most_common(top)]


def to_csv(table: Sequence[Row]) -> str:
    """The result table as CSV (UTF-8 with BOM so that Excel opens it right)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["質問", "期待", "結果", "判定", "期待の順位", "総合", "密", "語彙", "正しい"])
    for r in table:
        w.writerow([r.query, r.expected, r.got, r.decision, r.rank or "", r.score, r.dense, r.lexical, int(r.ok)])
    return "\ufeff" + out.getvalue()


def tradeoff(outcomes: Sequence[Outcome], thresholds: Sequence[float]) -> dict[str, list[float]]:
    """Answered-correctly, wrong-answer and not-answered rates as the answer threshold moves."""
    n = len(outcomes) or 1
    n_in = sum(o.in_scope for o in outcomes) or 1
    scores = np.array([o.reply.search.hits[0].score if o.reply.search.hits else 0.0 for o in outcomes])
    right = np.array([o.in_scope and bool(o.reply.search.hits) and o.reply.search.hits[0].entry.id in o.query.gold
                      for o in outcomes])  # fmt: skip
    out: dict[str, list[float]] = {"threshold": [], "answered_correctly": [], "wrong_answers": [], "not_answered": []}
    for t in thresholds:
        answered = scores >= t
        out["threshold"].append(float(t))
        out["answered_correctly"].append(float((answered & right).sum() / n_in))
        out["wrong_answers"].append(float((answered & ~right).sum() / n))
        out["not_answered"].append(float((~answered).sum() / n))
    return out


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def plots(outcomes: Sequence[Outcome], settings: Settings) -> dict[str, str]:
    """Two PNG plots as data URLs: score distributions and the threshold trade-off."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = JAPANESE_FONTS
    groups: dict[str, list[float]] = {"範囲内・1位が正解": [], "範囲内・1位が誤り": [], "範囲外": []}
    for o in outcomes:
        s = o.reply.search.hits[0].score if o.reply.search.hits else 0.0
        if not o.in_scope:
            groups["範囲外"].append(s)
        elif o.reply.search.hits and o.reply.search.hits[0].entry.id in o.query.gold:
            groups["範囲内・1位が正解"].append(s)
        else:
            groups["範囲内・1位が誤り"].append(s)
    bins = np.linspace(0, 1, 41).tolist()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for (label, values), color in zip(groups.items(), ["#1a7f37", "#d97706", "#cf222e"], strict=True):
        if values:
            ax.hist(values, bins=bins, alpha=0.6, label=f"{label}（{len(values)}）", color=color)
    top = ax.get_ylim()[1]
    for t, name, style, y, ha in (
        (settings.answer_threshold, "回答", "-", 0.97, "left"),
        (settings.suggest_threshold, "候補", "--", 0.85, "right"),
    ):
        ax.axvline(t, color="#0b5cad", linestyle=style, linewidth=1.5)
        ax.text(t, top * y, f" {name} {t:.2f} ", color="#0b5cad", va="top", ha=ha, fontsize=8)
    ax.set_xlabel("1位の総合スコア")
    ax.set_ylabel("質問数")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("スコアの分布としきい値")
    dist = _png(fig)
    plt.close(fig)

    ts = np.linspace(0, 1, 101).tolist()
    curve = tradeoff(outcomes, ts)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(ts, curve["answered_correctly"], label="正しく回答（範囲内の割合）", color="#1a7f37")
    ax.plot(ts, curve["wrong_answers"], label="誤った回答（全体の割合）", color="#cf222e")
    ax.plot(ts, curve["not_answered"], label="回答しない（候補・担当者へ）", color="#8c959f")
    ax.axvline(settings.answer_threshold, color="#0b5cad", linewidth=1.5)
    ax.set_xlabel("回答しきい値")
    ax.set_ylabel("割合")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("回答しきい値を動かしたときのトレードオフ")
    trade = _png(fig)
    plt.close(fig)
    return {"distribution": dist, "tradeoff": trade}


def context(
    report: Report, settings: Settings, source: str, proposal: Any = None, max_wrong: float = 0.02
) -> dict[str, Any]:
    """Everything the HTML report template shows."""
    return {
        "source": source,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "metrics": report.metrics,
        "categories": report.categories,
        "rows": rows(report),
        "confused": confused_pairs(report.outcomes),
        "plots": plots(report.outcomes, settings),
        "answer_threshold": settings.answer_threshold,
        "suggest_threshold": settings.suggest_threshold,
        "proposal": proposal,
        "max_wrong": max_wrong,
    }


def render_html(report: Report, settings: Settings, source: str, proposal: Any = None, max_wrong: float = 0.02) -> str:
    """A self-contained HTML report (plots embedded, no scripts)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from faq_bot.web import WEB_DIR

    env = Environment(loader=FileSystemLoader(str(WEB_DIR / "templates")), autoescape=select_autoescape(["html"]))
    return env.get_template("report.html").render(**context(report, settings, source, proposal, max_wrong))
