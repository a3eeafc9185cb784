"""The batch report's two plots: score distributions against the thresholds, and the threshold trade-off."""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from faq_bot.assets import percent
from faq_bot.quality.calibrate import NEVER_SUGGEST, Label, figures, is_answered
from faq_bot.quality.evaluate import Outcome, scored

JAPANESE_FONTS = ["IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "TakaoGothic", "DejaVu Sans"]
#: File names of those fonts, lower case without the extension (ipag.ttf, NotoSansCJK-Regular.ttc): the regular face
#: only, not every weight's collection.
_JAPANESE_FILES = ("ipag", "ipagp", "notosanscjk-regular", "notosanscjkjp-regular", "takaogothic")


@functools.cache
def japanese_font_known() -> bool:
    """Make sure matplotlib knows a Japanese font, and say whether it does.

    matplotlib lists the system's fonts once and keeps the list in a cache file: a font installed after
    that first listing (`make test` installs IPA Gothic, perhaps after some other tool drew a plot) is not
    in it, and every Japanese character is drawn as a box. Such fonts are added from the system's font
    folders (once per process)."""
    from matplotlib import font_manager

    def known() -> bool:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return any(n in names for n in JAPANESE_FONTS[:-1])

    if known():
        return True
    for path in font_manager.findSystemFonts():
        if Path(path).stem.lower() in _JAPANESE_FILES:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file: the next one
                continue
    return known()


def tradeoff(outcomes: Sequence[Outcome], thresholds: Sequence[float]) -> dict[str, list[float]]:
    """Answered-correctly, wrong-answer and not-answered rates as the answer threshold moves: the same
    figures (on the best entry's probability) that the report's table and the threshold proposal give.
    (A non-zero ``answer_margin`` is not drawn: with one, the table may answer a little less than the curve.)"""
    data = scored(outcomes)
    n = len(data) or 1
    out: dict[str, list[float]] = {"threshold": [], "answered_correctly": [], "wrong_answers": [], "not_answered": []}
    for t in thresholds:
        f = figures(data, t, NEVER_SUGGEST)
        out["threshold"].append(float(t))
        out["answered_correctly"].append(f.answered_correctly)
        out["wrong_answers"].append(f.wrong_answers)
        out["not_answered"].append(sum(not is_answered(d, t) for d in data) / n)
    return out


#: The proposed threshold's line: dashed, in the report's amber (the current one is blue and solid).
PROPOSED_COLOR = "#9a6700"


def _apart(proposed: float | None, current: float) -> float | None:
    """The proposed threshold if it is one to draw: not the current one as shown (else None)."""
    return proposed if proposed is not None and percent(proposed) != percent(current) else None


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def plots(outcomes: Sequence[Outcome], answer_threshold: float, proposed: float | None = None) -> dict[str, str]:
    """Two PNG plots as data URLs: the best entries' probabilities and the answer threshold's trade-off, each with
    the current answer threshold and, if one is proposed, the proposed one (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    japanese_font_known()
    # Fonts for these figures only (rc_context): nothing global changes for other matplotlib users.
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": JAPANESE_FONTS}):
        return {
            "distribution": _distribution(plt, outcomes, answer_threshold, proposed),
            "tradeoff": _tradeoff_plot(plt, outcomes, answer_threshold, proposed),
        }


def _distribution(plt: Any, outcomes: Sequence[Outcome], answer_threshold: float, proposed: float | None) -> str:
    fig = distribution_figure(plt, outcomes, answer_threshold, proposed)
    dist = _png(fig)
    plt.close(fig)
    return dist


def distribution_figure(
    plt: Any, outcomes: Sequence[Outcome], answer_threshold: float, proposed: float | None = None
) -> Any:
    """The histogram of the best entry's probability for in-scope and out-of-scope questions, with the answer
    threshold (a matplotlib figure)."""
    groups: dict[str, list[float]] = {"範囲内・1位が正解": [], "範囲内・1位が誤り": [], "範囲外": []}
    names = {Label.RIGHT: "範囲内・1位が正解", Label.WRONG: "範囲内・1位が誤り", Label.OUT_OF_SCOPE: "範囲外"}
    for d in scored(outcomes):
        groups[names[d.label]].append(d.score)
    bins = np.linspace(0, 1, 41).tolist()
    # Constrained layout makes room for the legend under the plot (``outside``): inside it, the legend hid the
    # bars at 0-20 %, where out-of-scope questions gather.
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    for (label, values), color in zip(groups.items(), ["#1a7f37", "#d97706", "#cf222e"], strict=True):
        if values:
            ax.hist(values, bins=bins, alpha=0.6, label=f"{label}（{len(values)}）", color=color)
    top = ax.get_ylim()[1]
    # Only the answer threshold is on this axis: the もしかして threshold is on another quantity (the
    # probability that one of the first candidates answers), not the best entry's own probability.
    ax.axvline(answer_threshold, color="#0b5cad", linestyle="-", linewidth=1.5)
    ax.text(answer_threshold, top * 0.97, f" 回答 {percent(answer_threshold)} ", color="#0b5cad", va="top", fontsize=8)
    if (proposed := _apart(proposed, answer_threshold)) is not None:
        ax.axvline(proposed, color=PROPOSED_COLOR, linestyle="--", linewidth=1.5)
        ax.text(proposed, top * 0.85, f" 提案 {percent(proposed)} ", color=PROPOSED_COLOR, va="top", fontsize=8)
    ax.set_xlabel("1位の項目が答えである確率")
    ax.set_ylabel("質問数")
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))  # in % as the tables and the console say it
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count of questions has no halves
    fig.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    ax.set_title("1位の確率の分布と回答しきい値")
    return fig


def _tradeoff_plot(plt: Any, outcomes: Sequence[Outcome], answer_threshold: float, proposed: float | None) -> str:
    ts = np.linspace(0, 1, 101).tolist()
    curve = tradeoff(outcomes, ts)
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")  # the legend under it too: no curve hidden
    ax.plot(ts, curve["answered_correctly"], label="正しく回答（範囲内の割合）", color="#1a7f37")
    ax.plot(ts, curve["wrong_answers"], label="誤った回答（全体の割合）", color="#cf222e")
    ax.plot(ts, curve["not_answered"], label="回答しない（候補・担当者へ）", color="#8c959f")
    ax.axvline(answer_threshold, color="#0b5cad", linewidth=1.5, label=f"今のしきい値 {percent(answer_threshold)}")
    if (proposed := _apart(proposed, answer_threshold)) is not None:
        ax.axvline(proposed, color=PROPOSED_COLOR, linestyle="--", linewidth=1.5, label=f"提案 {percent(proposed)}")
    ax.set_xlabel("回答しきい値")
    ax.set_ylabel("割合")
    ax.set_ylim(0, 1.02)
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    fig.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    ax.set_title("回答しきい値を動かしたときのトレードオフ")
    trade = _png(fig)
    plt.close(fig)
    return trade
