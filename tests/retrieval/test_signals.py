from __future__ import annotations

import numpy as np
import pytest

from faq_bot.retrieval.signals import TWIN_SPREADS, Signals, ViewScores, candidate_signals


def view(n: int) -> ViewScores:
    zeros = np.zeros(n, dtype=np.float32)
    return ViewScores(zeros, zeros, zeros, zeros, 0.0)


def signals(hybrid: list[float], alike: np.ndarray | None = None) -> list[Signals]:
    n = len(hybrid)
    flags = np.zeros(n, dtype=bool)
    return candidate_signals(np.asarray(hybrid, np.float32), view(n), view(n), flags, flags, 20, alike=alike)


def test_the_margin_over_an_entry_that_says_the_same_does_not_count_against_answering() -> None:
    alike = np.zeros((3, 3), dtype=np.float32)
    alike[0, 1] = alike[1, 0] = TWIN_SPREADS + 0.5  # the first two are about nearly the same thing
    first, second, third = signals([0.9, 0.85, 0.5], alike)
    assert first.margin == pytest.approx(0.05) and first.twin_lead == pytest.approx(0.35)  # 0.4 over the third
    assert second.margin == pytest.approx(-0.05) and second.twin_lead == pytest.approx(0.4)  # 0.35 over the third
    assert third.margin == pytest.approx(-0.4) and third.twin_lead == 0.0


def test_without_twins_there_is_no_twin_lead() -> None:
    alike = np.full((3, 3), TWIN_SPREADS - 0.1, dtype=np.float32)  # close, but not twins
    for s in (*signals([0.9, 0.6, 0.5], alike), *signals([0.9, 0.6, 0.5])):
        assert s.twin_lead == 0.0


def test_an_entry_whose_every_rival_is_its_twin_leads_by_its_whole_score() -> None:
    alike = np.full((2, 2), TWIN_SPREADS + 1, dtype=np.float32)
    first = signals([0.7, 0.65], alike)[0]
    assert first.margin + first.twin_lead == pytest.approx(0.7)


def test_margins_are_those_of_one_candidate_at_a_time() -> None:
    # All candidates at once (one array step, not one per candidate): each margin and twin lead is the plain
    # definition's, for any number of candidates, ties and twins.
    rng = np.random.default_rng(5)
    for n in range(12):
        hybrid = rng.choice([0.2, 0.5, 0.5, 0.7, 0.9], n).astype(np.float32)
        for alike in (rng.choice([0.0, TWIN_SPREADS + 1], (n, n)).astype(np.float32), None):
            for got, i in zip(signals(hybrid.tolist(), alike), range(n), strict=True):
                rest = [float(hybrid[j]) for j in range(n) if j != i]
                twin = [alike is not None and alike[i, j] >= TWIN_SPREADS for j in range(n)]
                distinct = [float(hybrid[j]) for j in range(n) if j != i and not twin[j]]
                best_other = max(rest) if rest else 0.0
                assert got.margin == float(hybrid[i]) - best_other
                assert got.twin_lead == best_other - (max(distinct) if distinct else 0.0)
