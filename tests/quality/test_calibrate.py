from __future__ import annotations

from faq_bot.quality.calibrate import Label, Scored, figures, propose

R, W, OOS = Label.RIGHT, Label.WRONG, Label.OUT_OF_SCOPE


def test_answer_threshold_is_the_lowest_that_keeps_wrong_answers_within_target() -> None:
    data = [Scored(0.9, R), Scored(0.8, R), Scored(0.7, W), Scored(0.6, R), Scored(0.3, OOS), Scored(0.2, OOS)]
    strict = propose(data, max_wrong=0.0)
    assert 0.7 < strict.answer < 0.8 and strict.wrong_answers == 0.0
    loose = propose(data, max_wrong=0.2)
    assert 0.3 < loose.answer < 0.6 and loose.answered_correctly == 0.75  # 3 of 4 in scope are right


def test_suggest_threshold_separates_out_of_scope_from_useful_candidates() -> None:
    data = [Scored(0.9, R), Scored(0.5, W, gold_in_top=True), Scored(0.45, R, True), Scored(0.2, OOS), Scored(0.1, OOS)]
    t = propose(data, max_wrong=0.0)
    assert 0.2 < t.suggest < 0.45 and t.oos_rejection == 1.0


def test_figures_count_on_the_given_thresholds() -> None:
    f = figures([Scored(0.9, R), Scored(0.8, OOS), Scored(0.1, OOS)], answer=0.85, suggest=0.5)
    assert (f.answered_correctly, f.wrong_answers, f.oos_rejection) == (1.0, 0.0, 0.5)


def test_blocked_questions_escalate_whatever_the_thresholds() -> None:
    # An out-of-scope question with a high score that the asked-kind check escalates.
    data = [Scored(0.9, R), Scored(0.8, OOS, blocked=True), Scored(0.7, R), Scored(0.2, OOS)]
    f = figures(data, answer=0.5, suggest=0.4)
    assert f.wrong_answers == 0.0 and f.oos_rejection == 1.0 and f.answered_correctly == 1.0
    assert propose(data, max_wrong=0.0).answer < 0.7
