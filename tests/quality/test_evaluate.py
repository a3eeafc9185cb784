from __future__ import annotations

from pathlib import Path

import pytest

from faq_bot.content.queries import read_queries
from faq_bot.errors import FaqFormatError
from faq_bot.quality.evaluate import by_source, evaluate, ranking_line, report_dict
from faq_bot.retrieval.engine import Engine
from tests.conftest import write


def test_queries_file_needs_query_and_gold_and_ignores_other_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "q.tsv", "query\tgold\tnote\n請求書\t1,2\tx\n天気\t\t\n\n")
    qs = read_queries(path)
    assert [(q.query, q.gold) for q in qs] == [("請求書", ("1", "2")), ("天気", ())]
    assert {q.source for q in qs} == {str(path)}  # calibration holds its bars in each file
    with pytest.raises(FaqFormatError):
        read_queries(write(tmp_path / "bad.tsv", "q\tg\nx\t1\n"))


def test_metrics_count_answers_wrong_answers_and_rejections(fake_engine: Engine, tmp_path: Path) -> None:
    queries = read_queries(
        write(
            tmp_path / "q.tsv",
            "query\tgold\n請求書はいつ発行されますか\t1\n請求書はいつ発行されますか\t4\n見積書を発行できますか\t3\n"
            "全く無関係な話題ですね\t\n？？\t\n",
        )
    )
    report = evaluate(fake_engine, queries)
    m = report.metrics
    assert (m["n_in_scope"], m["n_out_of_scope"]) == (3, 2)
    assert m["top1"] == pytest.approx(2 / 3, abs=1e-3)
    assert m["wrong_answers"] == pytest.approx(1 / 5, abs=1e-3)
    assert m["answered_correctly"] == pytest.approx(2 / 3, abs=1e-3)
    assert m["oos_rejection"] == 1.0
    assert {o.query.query for o in report.misses} == {"請求書はいつ発行されますか"}
    data = report_dict(report)
    assert data["categories"] and data["misses"][0]["gold"] == "4"
    line = ranking_line(report.outcomes[0])
    # The same question searched and judged directly, outside evaluate(): the line lists exactly these hits,
    # most probable first, with their probabilities.
    loaded = fake_engine.current
    direct = loaded.reply(loaded.retriever.search("請求書はいつ発行されますか", k=10)).search.hits
    assert direct[0].entry.id == "1" and direct[0].probability is not None
    assert line["hits"] == [{"id": h.entry.id, "score": round(h.confidence, 4)} for h in direct]
    assert (line["query"], line["gold"], line["decision"]) == ("請求書はいつ発行されますか", ["1"], "answer")


def test_figures_per_labelled_file(fake_engine: Engine, tmp_path: Path) -> None:
    plain = read_queries(write(tmp_path / "plain.tsv", "query\tgold\n請求書はいつ発行されますか\t1\n"))
    other = read_queries(
        write(tmp_path / "other.tsv", "query\tgold\n請求書はいつ発行されますか\t4\n全く無関係な話題ですね\t\n")
    )
    rows = {row["source"]: row for row in by_source(evaluate(fake_engine, [*plain, *other]).outcomes)}
    assert set(rows) == {str(tmp_path / "plain.tsv"), str(tmp_path / "other.tsv")}
    assert rows[str(tmp_path / "plain.tsv")]["wrong_answers"] == 0.0 and rows[str(tmp_path / "plain.tsv")]["n"] == 1
    other_row = rows[str(tmp_path / "other.tsv")]
    assert other_row["wrong_answers"] == 0.5 and other_row["oos_rejection"] == 1.0  # the wrong answer is in this file


def test_calibration_counts_the_candidates_the_decision_offers(fake_engine: Engine) -> None:
    from dataclasses import replace

    from faq_bot.content.queries import LabelledQuery
    from faq_bot.quality.evaluate import outcomes_of, scored

    question = LabelledQuery("請求書をダウンロードする方法", ("1",), 2)  # entry 1 ranks second here
    reply = fake_engine.ask(question.query)
    assert [h.entry.id for h in reply.search.hits][:2] == ["2", "1"]
    params = fake_engine.params.decision
    for offered, least, in_top in ((1, 0.0, False), (3, 0.0, True), (3, 1.01, False)):  # and as probable as it asks
        outcome = outcomes_of([question], [reply], replace(params, suggestion_count=offered, candidate_threshold=least))
        assert scored(outcome)[0].gold_in_top is in_top


def test_a_style_with_questions_of_both_kinds_gets_the_figures_of_both(fake_engine: Engine, tmp_path: Path) -> None:
    queries = read_queries(
        write(
            tmp_path / "q.tsv",
            "query\tgold\tstyle\n請求書はいつ発行されますか\t1\tparaphrase\n全く無関係な話題ですね\t\tparaphrase\n"
            "？？\t\toos\n",
        )
    )
    styles = {row["style"]: row for row in evaluate(fake_engine, queries).styles}
    mixed = styles["paraphrase"]  # the out-of-scope paraphrase is not left out of its style's row
    assert (mixed["n_in_scope"], mixed["n_out_of_scope"]) == (1, 1)
    assert mixed["answered_correctly"] == 1.0 and mixed["oos_rejection"] == 1.0
    assert "answered_correctly" not in styles["oos"] and styles["oos"]["oos_rejection"] == 1.0
