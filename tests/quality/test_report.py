from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

from faq_bot.content.queries import queries_of, read_queries
from faq_bot.quality import plots
from faq_bot.quality import report as batch_report
from faq_bot.quality.calibrate import figures, proposal_for, with_current_suggest
from faq_bot.quality.evaluate import evaluate, scored
from faq_bot.retrieval.engine import Engine
from tests.conftest import write


def run(fake_engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = write(
        tmp_path / "q.tsv",
        "query\tgold\n請求書はいつ発行されますか\t1\n請求書はいつ発行されますか\t2\n銀行振込はできますか\t5\n関係ない話\t\n",
    )
    return evaluate(fake_engine, read_queries(path))


def test_html_report_embeds_both_plots_and_the_table(fake_engine: Engine, tmp_path: Path) -> None:
    html = batch_report.render_html(run(fake_engine, tmp_path), fake_engine.params.decision, "q.tsv")
    assert html.count('src="data:image/png;base64,') == 2
    assert "確率の分布" in html and "結果一覧" in html and "関係ない話" in html and "<script" not in html
    # The rows not right can be shown alone, without a script: the checkbox's state hides the right ones.
    assert 'id="only-missed"' in html and "正しくなかった行（1件）だけ表示" in html
    assert ".only-missed:checked ~ .table-scroll table.results tr.ok { display: none; }" in html


def test_confused_pairs_and_csv(fake_engine: Engine, tmp_path: Path) -> None:
    report = run(fake_engine, tmp_path)
    assert batch_report.confused_pairs(report.outcomes) == [("2", "1", 1)]
    named = batch_report.entry_questions(report.outcomes)  # the report names the pair by their questions too
    html = batch_report.render_html(report, fake_engine.params.decision, "q.tsv")
    assert f"<td>2 {named['2']}</td><td>1 {named['1']}</td>" in html
    csv_text = batch_report.to_csv(batch_report.rows(report, fake_engine.params.decision))
    assert csv_text.startswith("\ufeff行,質問,期待,結果,判定,理由") and len(csv_text.strip().splitlines()) == 5
    # As the page says it: the line in the file, 担当者へ for an escalation, ○ / × for right, the style.
    cells = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))[1:]
    assert all(row[0].isdigit() for row in cells) and any(row[2] == "担当者へ" for row in cells)
    assert all(row[11] in ("○", "×") for row in cells)
    assert all(re.fullmatch(r"\d{1,3}\.\d%", row[7]) for row in cells)  # 確率 as the page says it
    # The CSV is a question set again (期待 is a gold heading, 担当者へ means none): staff edit it and run it again.
    again = queries_of(csv_text.encode("utf-8"), "result.csv")
    assert [(q.query, q.gold) for q in again] == [(o.query.query, o.query.gold) for o in report.outcomes]


def test_the_tradeoff_agrees_with_the_table_at_the_current_threshold(fake_engine: Engine, tmp_path: Path) -> None:
    # The plot is on the best entry's probability, as the decision and the table are (not the ranking score).
    report = run(fake_engine, tmp_path)
    at = fake_engine.params.decision.answer_threshold
    curve = plots.tradeoff(report.outcomes, [at])
    assert curve["answered_correctly"][0] == report.metrics["answered_correctly"]
    assert curve["wrong_answers"][0] == report.metrics["wrong_answers"]


def test_no_proposal_without_questions_the_faq_cannot_answer(fake_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "q.tsv", "query\tgold\n請求書はいつ発行されますか\t1\n銀行振込はできますか\t5\n")
    report = evaluate(fake_engine, read_queries(path))
    assert proposal_for(scored(report.outcomes)) is None
    html = batch_report.render_html(report, fake_engine.params.decision, "q.tsv")
    assert "しきい値の提案（" not in html and "両方が必要です" in html


def test_a_small_set_gets_its_proposal_with_a_warning(fake_engine: Engine, tmp_path: Path) -> None:
    report = run(fake_engine, tmp_path)
    proposal = proposal_for(scored(report.outcomes))
    assert proposal is not None
    html = batch_report.render_html(report, fake_engine.params.decision, "q.tsv", proposal)
    assert "しきい値の提案（" in html and "4問（" in html and "提案は参考程度に" in html
    # A proposal well under the current thresholds comes with a caution: an easy set proposes answering everything.
    better = replace(proposal, answered_correctly=1.0, helpful=1.0, wrong_answers=0.0)
    decision = fake_engine.params.decision
    for answer, cautioned in ((0.07, True), (0.9, False)):
        shown = batch_report.render_html(report, decision, "q.tsv", replace(better, answer=answer))
        assert ("回答のしきい値を今より低く" in shown) == cautioned and "変える必要はありません" not in shown
    # Each threshold's direction is said as it is: a higher もしかして threshold offers fewer candidates, not more.
    higher_suggest = replace(better, answer=0.07, suggest=decision.suggest_threshold + 0.3)
    shown = batch_report.render_html(report, decision, "q.tsv", higher_suggest)
    assert "回答を増やす方向です" in shown and "もしかしてのしきい値を今より低く" not in shown
    lower_suggest = replace(better, answer=decision.answer_threshold, suggest=0.01)
    shown = batch_report.render_html(report, decision, "q.tsv", lower_suggest)
    assert "候補を出す質問を増やす方向です" in shown and "回答のしきい値を今より低く" not in shown
    # The proposal's figures stand beside the current ones, its wrong answers among them.
    table = shown.split("今のしきい値と提案のしきい値を比べると", 1)[1].split("</table>", 1)[0]
    assert "誤回答" in table and ">今<" in table and ">提案<" in table
    # A proposal that changes nothing for the better on these questions says so instead.
    current = figures(scored(report.outcomes), decision.answer_threshold, decision.suggest_threshold)
    same = batch_report.render_html(report, fake_engine.params.decision, "q.tsv", replace(current, answer=0.07))
    assert "変える必要はありません" in same and "増やす方向です" not in same
    assert "しきい値の提案（" not in same  # one message: no green proposal beside it


def test_a_proposal_that_would_answer_less_than_half_as_often_is_cautioned(fake_engine: Engine, tmp_path: Path) -> None:
    report = run(fake_engine, tmp_path)
    decision = fake_engine.params.decision
    # (suggest_proposed False: the figures as given, not measured again at the current もしかして threshold)
    current = replace(
        figures(scored(report.outcomes), decision.answer_threshold, decision.suggest_threshold), suggest_proposed=False
    )
    assert current.answered_correctly > 0
    # (a gain elsewhere, as fewer wrong answers would be: else it is no proposal at all)
    timid = replace(
        current, answer=0.97, answered_correctly=current.answered_correctly / 3, helpful=current.helpful + 0.1
    )
    shown = batch_report.render_html(report, decision, "q.tsv", timid)
    assert "正しく回答する質問が今の半分未満" in shown and "ほとんど回答しなくなる提案です" in shown
    fair = replace(current, answer=0.97, helpful=current.helpful + 0.1)
    assert "今の半分未満" not in batch_report.render_html(report, decision, "q.tsv", fair)


def test_tradeoff_moves_the_right_way(fake_engine: Engine, tmp_path: Path) -> None:
    curve = plots.tradeoff(run(fake_engine, tmp_path).outcomes, [0.0, 0.5, 1.01])
    # 「関係ない話」 shares no word with the FAQ: never answered, whatever the threshold.
    assert curve["not_answered"][0] == 0.25 and curve["not_answered"][-1] == 1.0
    assert curve["wrong_answers"][0] >= curve["wrong_answers"][-1] == 0.0


def test_escalations_show_no_entry_id_and_rates_are_percentages(fake_engine: Engine, tmp_path: Path) -> None:
    report = run(fake_engine, tmp_path)
    table = batch_report.rows(report, fake_engine.params.decision)
    escalated = [r for r in table if r.decision == "escalate"]
    assert escalated and all(r.got == "" for r in escalated)  # item 10: 結果 is what the visitor got
    html = batch_report.render_html(report, fake_engine.params.decision, "q.tsv")
    body = html[html.index('id="cats"') :]
    assert "%</td>" in body and "0.5</td>" not in body and "1.0</td>" not in body  # one number format


def test_the_histogram_counts_in_whole_numbers(fake_engine: Engine, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plots.distribution_figure(plt, run(fake_engine, tmp_path).outcomes, 0.5)
    ticks = list(fig.axes[0].get_yticks())
    plt.close(fig)
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_a_proposed_threshold_is_drawn_beside_the_current_one(fake_engine: Engine, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = run(fake_engine, tmp_path).outcomes
    for proposed, lines in ((None, 1), (0.5, 1), (0.3, 2)):  # none, or the current one as shown: one line
        fig = plots.distribution_figure(plt, outcomes, 0.5, proposed)
        drawn = [line for line in fig.axes[0].get_lines() if len(set(line.get_xdata())) == 1]
        texts = [t.get_text() for t in fig.axes[0].texts]
        plt.close(fig)
        assert len(drawn) == lines and any("提案 30.0%" in t for t in texts) == (lines == 2)


def test_the_histograms_legend_hides_no_bar(fake_engine: Engine, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Out-of-scope questions gather at 0-20 %, the tallest bar there: where a legend inside the plot sat.
    path = write(
        tmp_path / "q.tsv",
        "query\tgold\n請求書はいつ発行されますか\t1\n関係ない話\t\n全然関係ない話題\t\n今日の天気\t\n好きな食べ物\t\n",
    )
    outcomes = evaluate(fake_engine, read_queries(path)).outcomes
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": plots.JAPANESE_FONTS}):  # as the report
        fig = plots.distribution_figure(plt, outcomes, 0.6)
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legends = [*fig.legends, *([ax.get_legend()] if ax.get_legend() else [])]
    bars = [bar for bars in ax.containers for bar in bars if bar.get_height() > 0]
    low = [bar for bar in bars if bar.get_x() < 0.2 and bar.get_height() == max(b.get_height() for b in bars)]
    assert len(legends) == 1 and low  # the case that was hidden: the tallest bar at 0-20 %
    box = legends[0].get_window_extent(renderer)
    hidden = [bar.get_x() for bar in bars if box.overlaps(bar.get_window_extent(renderer))]
    plt.close(fig)
    assert not hidden, hidden


def test_the_small_set_warning_says_how_far_one_question_moves_a_rate(fake_engine: Engine, tmp_path: Path) -> None:
    # Rates are over the in-scope or the out-of-scope questions: the smaller group says how far one question moves.
    assert [
        batch_report.one_question_moves({"n_in_scope": a, "n_out_of_scope": b})
        for a, b in ((4, 1), (4, 5), (3, 40), (60, 200), (40, 90), (7, 0))
    ] == ["100", "25", "約33", "約1.7", "2.5", "約14"]
    report = run(fake_engine, tmp_path)  # 3 in scope, 1 out of scope
    proposal = proposal_for(scored(report.outcomes))
    html = batch_report.render_html(report, fake_engine.params.decision, "q.tsv", proposal)
    assert "質問が4問（範囲内3問・範囲外1問）のため、1問で割合が最大100ポイント動きます。" in html
    assert "1ポイント以上" not in html
    # Many questions, but few of one kind: a rate over the five unanswerable ones moves 20 points a question.
    assert batch_report.few_questions({"n_in_scope": 150, "n_out_of_scope": 5})
    assert not batch_report.few_questions({"n_in_scope": 150, "n_out_of_scope": 100})
    assert not batch_report.few_questions({"n_in_scope": 120, "n_out_of_scope": 0})  # no rate over none


def test_a_suggest_threshold_of_zero_is_not_proposed(fake_engine: Engine, tmp_path: Path) -> None:
    # Too few questions to place もしかして: the proposal's 0 % would offer candidates for every question not answered.
    report = run(fake_engine, tmp_path)
    proposal = proposal_for(scored(report.outcomes))
    assert proposal is not None
    decision = fake_engine.params.decision
    html = batch_report.render_html(report, decision, "q.tsv", replace(proposal, suggest=0.0))
    assert "もしかして <strong>提案できません</strong>" in html and "今の 30.0% のままの場合です" in html
    assert "<strong>0.0%</strong>" not in html and "（0.0）" not in html
    # The figures shown are those of the proposed answer threshold with the current もしかして threshold.
    kept = figures(scored(report.outcomes), proposal.answer, decision.suggest_threshold)
    row = html.split(">提案<", 1)[1].split("</tr>", 1)[0]
    assert f"<td>{kept.helpful * 100:.1f}%</td>" in row and f"<td>{kept.oos_rejection * 100:.1f}%</td>" in row
    # The proposal itself says so (what the JSON API shows): the current threshold, not proposed.
    kept_proposal = with_current_suggest(replace(proposal, suggest=0.0), scored(report.outcomes), 0.3)
    assert not kept_proposal.suggest_proposed and kept_proposal.suggest == 0.3
    assert kept_proposal == replace(figures(scored(report.outcomes), proposal.answer, 0.3), suggest_proposed=False)
    assert with_current_suggest(proposal, scored(report.outcomes), 0.3) == proposal  # a placed one stays
    # A proposal that places it is shown as before.
    placed = batch_report.render_html(report, decision, "q.tsv", replace(proposal, suggest=0.42))
    assert "提案できません" not in placed and "<strong>42.0%</strong>（0.42）" in placed


def test_a_row_says_why_a_probable_entry_was_not_the_answer(fake_engine: Engine, tmp_path: Path) -> None:
    # 見積書を発行できますか names no price: the row says so, as the test console does, and links to it on the page.
    path = write(tmp_path / "q.tsv", "query\tgold\tstyle\n見積書の料金はいくらですか\t3\tshort\n")
    report = evaluate(fake_engine, read_queries(path))
    (row,) = batch_report.rows(report, fake_engine.params.decision)
    assert (row.reason, row.style, row.line) == ("尋ねている料金・費用が回答にありません", "short", 2)
    html = batch_report.render_html(report, fake_engine.params.decision, "q.tsv")
    assert "尋ねている料金・費用が回答にありません" in html and "2行目" in html
    assert "/admin/console?" not in html  # a report saved as a file has no console to link to
