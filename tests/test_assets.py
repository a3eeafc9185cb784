from __future__ import annotations

from faq_bot.assets import environment, percent


def test_a_probability_reads_to_one_decimal() -> None:
    assert percent(0.4556) == "45.6%" and percent(0.455) == "45.5%"
    assert percent(0.0) == "0.0%" and percent(1) == "100.0%"


def test_a_probability_and_its_threshold_read_with_the_same_rounding() -> None:
    # An answered 0.4556 read 45.6 % in a row and 46 % as the threshold of 0.455 it passed.
    page = environment().from_string("{{ p | percent }} ≥ {{ t | percent }}").render(p=0.4556, t=0.455)
    assert page == "45.6% ≥ 45.5%"
