from __future__ import annotations

import random

from faq_bot.assets import environment, percent


def test_a_probability_reads_to_one_decimal() -> None:
    assert percent(0.4556) == "45.6%" and percent(0.455) == "45.5%"
    assert percent(0.0) == "0.0%" and percent(1) == "100.0%"


def test_a_probability_at_or_above_a_threshold_never_reads_below_it() -> None:
    # One rounding for both: an answered probability cannot show under its threshold (45.6% against "46%").
    rng = random.Random(3)
    for _ in range(2000):
        threshold, probability = rng.random(), rng.random()
        if probability >= threshold:
            assert float(percent(probability)[:-1]) >= float(percent(threshold)[:-1])


def test_the_templates_have_the_filter() -> None:
    assert environment().from_string("{{ p | percent }}").render(p=0.284) == "28.4%"
