from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from faq_bot.cli import main
from faq_bot.config import PROJECT_ROOT
from tests.conftest import SMALL_FAQ, write


def test_validate_reports_entries_and_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(write(tmp_path / "f.tsv", SMALL_FAQ, "cp932"))]) == 0
    out = capsys.readouterr().out
    assert "6件" in out and "CP932" in out


def test_serve_refuses_an_empty_host_instead_of_listening_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn listens on every interface for host "": what a unit's ``--host ${FAQ_BOT_LISTEN_HOST}`` gives when
    the variable is missing from the env file."""
    assert main(["serve", "--host", ""]) == 2
    assert "--host が空です" in capsys.readouterr().err


def test_validate_prints_every_problem_with_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "bad.tsv", "id\tquestion\tanswer\n1\tq\t\n2\tq2\ta\n2\tq3\tb\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "2行目" in err and "回答" in err and "4行目" in err and "重複" in err and str(bad) in err


@pytest.mark.integration
def test_ask_json_gives_decision_answer_and_scored_hits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAQ_BOT_INDEX_DIR", str(tmp_path / "idx"))
    assert main(["ask", "請求書のPDFを入手したい", "--json"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["decision"] in {"answer", "suggest"}
    assert reply["hits"][0]["id"] in {"31", "30", "29"}
    assert {"dense", "lexical", "score", "matched"} <= set(reply["hits"][0])


@pytest.mark.integration
def test_ask_and_eval_answer_from_the_published_faq_and_never_publish_an_edited_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A test on the command line while a server runs: the edited TSV on disk must not become the current build,
    which the server would follow (unchecked, outside the publish history)."""
    from faq_bot.config import Settings

    monkeypatch.setenv("FAQ_BOT_MODEL_DIR", str(Settings().model_dir))  # before the cache moves
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    faq, index = write(tmp_path / "faq.tsv", SMALL_FAQ), tmp_path / "idx"
    monkeypatch.setenv("FAQ_BOT_FAQ_PATH", str(faq))
    monkeypatch.setenv("FAQ_BOT_INDEX_DIR", str(index))
    assert main(["build-index"]) == 0
    published = (index / "CURRENT").read_text()
    write(faq, SMALL_FAQ + "7\tテスト\t下書きの質問ですか\t未確認の下書きの回答です。\t\n")  # edited, not published
    capsys.readouterr()
    assert main(["ask", "下書きの質問ですか", "--json"]) == 0
    out = capsys.readouterr()
    assert (json.loads(out.out)["entry"] or {}).get("id") != "7"  # the published FAQ has no entry 7
    assert "ディスク上のFAQ" in out.err and "公開中の版で答えます" in out.err
    queries = write(tmp_path / "q.tsv", "query\tgold\n請求書はいつ発行されますか\t1\n")
    assert main(["eval", str(queries), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["top1"] == 1.0
    assert (index / "CURRENT").read_text() == published
    # Named with --faq, the file on disk is tested as it is, in an index of its own: still nothing published.
    assert main(["ask", "下書きの質問ですか", "--json", "--faq", str(faq)]) == 0
    assert json.loads(capsys.readouterr().out)["entry"]["id"] == "7"
    assert (index / "CURRENT").read_text() == published
    # Settings the published build cannot serve (another BM25 constant): an index aside, the live folder untouched.
    monkeypatch.setenv("FAQ_BOT_BM25_K1", "1.7")
    assert main(["ask", "下書きの質問ですか", "--json"]) == 0
    assert "FAQファイルから別の場所に索引を作って答えます（公開はしません" in capsys.readouterr().err
    assert (index / "CURRENT").read_text() == published and len(list((index / "builds").iterdir())) == 1


@pytest.mark.integration
def test_build_index_of_the_live_file_builds_nothing_again_and_says_when_it_switches(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faq_bot.retrieval.store import list_builds

    faq, index = write(tmp_path / "faq.tsv", SMALL_FAQ), tmp_path / "idx"
    monkeypatch.setenv("FAQ_BOT_FAQ_PATH", str(faq))
    monkeypatch.setenv("FAQ_BOT_INDEX_DIR", str(index))
    assert main(["build-index"]) == 0
    published = (index / "CURRENT").read_text()
    capsys.readouterr()
    assert main(["build-index"]) == 0  # the same file: no second version of it (they would push older ones out)
    assert "索引は最新です" in capsys.readouterr().err and len(list_builds(index)) == 1
    assert main(["build-index", "--force"]) == 0 and len(list_builds(index)) == 2
    write(faq, SMALL_FAQ + "7\tテスト\t新しい質問ですか\t新しい回答です。\t\n")
    capsys.readouterr()
    assert main(["build-index"]) == 0
    assert "公開中の版をこのFAQファイルの索引に切り替えました" in capsys.readouterr().err
    assert (index / "CURRENT").read_text() != published
    (index / "CURRENT").write_text("../../nonsense\n")  # damaged: build-index is what mends it
    assert main(["build-index"]) == 0 and (index / "CURRENT").read_text().strip() != "../../nonsense"


@pytest.mark.integration
def test_eval_on_another_faq_builds_a_cached_index_and_writes_rankings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faq_bot.config import Settings

    monkeypatch.setenv("FAQ_BOT_MODEL_DIR", str(Settings().model_dir))  # before the cache moves
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    faq = write(
        tmp_path / "other.tsv",
        "id\tquestion\tanswer\nA\t返品はできますか\t30日以内なら可能です。\nB\t送料はいくらですか\t無料です。\n",
    )
    queries = write(tmp_path / "q.tsv", "query\tgold\n商品を返したい\tA\n送料について\tB\n")
    rankings = tmp_path / "r.jsonl"
    args = ["eval", str(queries), "--faq", str(faq), "--json", "--rankings", str(rankings)]
    assert main(args) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_in_scope"] == 2 and metrics["top1"] == 1.0
    lines = [json.loads(x) for x in rankings.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["hits"][0]["id"] == "A"
    assert list((tmp_path / "cache" / "faq-bot" / "indexes").iterdir())


@pytest.mark.integration
def test_eval_and_calibrate_refuse_a_set_naming_ids_or_categories_the_faq_lacks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in a gold id would count as a wrong answer, and a category as a question asked elsewhere: refused, as
    the staff batch test refuses them, before anything is measured or fitted."""
    from faq_bot.config import Settings

    monkeypatch.setenv("FAQ_BOT_MODEL_DIR", str(Settings().model_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    faq = write(
        tmp_path / "other.tsv",
        "id\tcategory\tquestion\tanswer\nA\t返品\t返品はできますか\t30日以内なら可能です。\n"
        "B\t配送\t送料はいくらですか\t無料です。\n",
    )
    queries = write(tmp_path / "q.tsv", "質問\t正解\t絞り込み\n商品を返したい\tA\t返品\n送料について\tC\t配送|支払い\n")
    for args in (["eval", str(queries), "--faq", str(faq)], ["calibrate", str(queries), "--faq", str(faq)]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "3行目 列「正解」: 正解のid「C」はFAQ「other.tsv」にありません。" in err
        assert "3行目 列「絞り込み」: 分類「支払い」はFAQ「other.tsv」にありません。" in err
        assert "2行目" not in err


@pytest.mark.integration
def test_ask_exits_cleanly_with_status_0(tmp_path: Path) -> None:
    """No encoder thread is left for the interpreter to tear down (that aborted with status 134)."""
    env = {**os.environ, "FAQ_BOT_INDEX_DIR": str(tmp_path / "idx")}
    done = subprocess.run(
        [sys.executable, "-m", "faq_bot.cli", "ask", "請求書を再発行したい", "--json"],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr
    assert json.loads(done.stdout)["query"] == "請求書を再発行したい"


@pytest.mark.integration
def test_eval_prints_every_figure_per_style(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faq_bot.config import Settings

    monkeypatch.setenv("FAQ_BOT_MODEL_DIR", str(Settings().model_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    faq = write(
        tmp_path / "other.tsv",
        "id\tquestion\tanswer\nA\t返品はできますか\t30日以内なら可能です。\nB\t送料はいくらですか\t無料です。\n",
    )
    queries = write(
        tmp_path / "q.tsv",
        "query\tgold\tstyle\n商品を返したい\tA\tparaphrase\n送料について\tB\tshort\n"
        "ギフト包装はできますか\t\tnear-oos\n",
    )
    assert main(["eval", str(queries), "--faq", str(faq)]) == 0
    out = capsys.readouterr().out
    assert "near_oos_safe: 1.0       近いが対象外の質問で安全" in out  # each figure with what it means
    table = out.split("文体別:")[1].split("分類別:")[0]
    lines = {line.split()[0]: line for line in table.strip().splitlines()}
    assert set(lines) == {"(全体)", "paraphrase", "short", "near-oos"}
    assert "answered_correctly=" in lines["paraphrase"] and "helpful=" in lines["paraphrase"]
    assert "near_oos_safe=" in lines["near-oos"] and "answered_correctly" not in lines["near-oos"]


@pytest.mark.integration
def test_reload_dry_run_prints_the_diff_and_publishes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = tmp_path / "faq.tsv"
    faq.write_bytes((PROJECT_ROOT / "data" / "faq.tsv").read_bytes())
    monkeypatch.setenv("FAQ_BOT_FAQ_PATH", str(faq))
    monkeypatch.setenv("FAQ_BOT_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("FAQ_BOT_LOG_PATH", str(tmp_path / "log.sqlite3"))  # the publish history's, not var/'s
    assert main(["reload"]) == 0  # first publish of this file: builds its index
    faq.write_text(
        faq.read_text(encoding="utf-8") + "99\tその他\t営業時間を教えてください\t平日9時から17時です。\t\n", "utf-8"
    )
    assert main(["reload", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "追加 1件" in out and "[99] 営業時間を教えてください" in out and "公開していません" in out
    # A visitor's whole long message added as an alternate of 38 pulls 38's English alternate to 39: the dry run
    # says so, as the admin page's preview does (not only the regression file's questions).
    long = (
        "いつもお世話になっております。株式会社サンプルの山田です。"
        "現在、契約中のサービスの利用人数が来月から増える予定です。"
        "契約変更の手続きはどのように進めればよろしいでしょうか。"
        "お忙しいところ恐れ入りますが、ご教示いただけますと幸いです。"
    )
    lines = faq.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("38\t"))
    lines[at] += "|" + long
    faq.write_text("\n".join(lines), "utf-8")
    assert main(["reload", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "回帰 悪化: Where do I change my contract?（FAQ 38 の質問・言い換え）  answer:38 → answer:39" in out, out


@pytest.mark.integration
def test_calibrate_fits_both_models_and_writes_a_file_that_serves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faq_bot.retrieval.confidence import DecisionModel

    monkeypatch.setenv("FAQ_BOT_INDEX_DIR", str(tmp_path / "idx"))
    queries = write(
        tmp_path / "q.tsv",
        "query\tgold\tstyle\n"
        "請求書をPDFで取得したい\t31\tparaphrase\nクレジットカードで払えますか\t21\tparaphrase\n"
        "見積書を出してほしい\t10|11\tparaphrase\nユーザーを増やしたい\t41|42\tparaphrase\n"
        "明日は雨が降りますか\t\toos\nおいしいカレーの作り方\t\toos\n",
    )
    more = write(  # a second file: calibrate holds the wrong-answer bar in each, and shows each
        tmp_path / "more.tsv",
        "query\tgold\tstyle\n"
        "パスワードを変えたい\t44\tparaphrase\n契約内容を確認したい\t26\tparaphrase\n"
        "サッカーの試合結果を教えて\t\toos\n宇宙の年齢はいくつですか\t\toos\n",
    )
    out = tmp_path / "model.json"
    from faq_bot.quality import fitting

    bars: list[tuple[float, float]] = []
    shipped_given: list[int] = []
    propose = fitting.propose

    def spy(data: Any, max_wrong: float, min_rejection: float, shipped: Any = ()) -> Any:
        bars.append((max_wrong, min_rejection))
        shipped_given.append(len(shipped))  # the shipped model's judgement of every labelled question
        return propose(data, max_wrong, min_rejection, shipped)

    monkeypatch.setattr(fitting, "propose", spy)
    bars_given = ["--max-wrong", "0.1", "--min-escalated", "0.5"]
    assert main(["calibrate", str(queries), str(more), "--model-out", str(out), *bars_given]) == 0
    printed = capsys.readouterr().out
    assert "提案するしきい値" in printed and "交差検証" in printed
    per_file = printed.split("ファイル別（交差検証）:")[1]
    assert re.search(r"\n  q\.tsv +n=6 ", per_file) and re.search(r"\n  more\.tsv +n=4 ", per_file)
    assert bars == [(0.1, 0.5)] and shipped_given == [10]  # the options, and the shipped model, reach the proposal
    model = DecisionModel.load(out)
    assert model.topic is not None and model.topic.fitted_on == "10 labelled questions"
    assert model.encoder == DecisionModel.load().encoder  # the vectors it was fitted on: the default fp32 encoder's
    assert "unknown_meaning" in model.answer.features
    # With the level its own FAQ's near misses score at: what another FAQ is compared with when it is loaded.
    assert model.own_near_miss is not None and math.isfinite(model.own_near_miss) and model.faq_offset == 0.0
    assert model.crossed_near_miss is not None and math.isfinite(model.crossed_near_miss)


@pytest.mark.integration
def test_versions_lists_what_is_kept_and_published_and_rollback_serves_a_kept_version_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = tmp_path / "faq.tsv"
    original = (PROJECT_ROOT / "data" / "faq.tsv").read_bytes()
    faq.write_bytes(original)
    monkeypatch.setenv("FAQ_BOT_FAQ_PATH", str(faq))
    monkeypatch.setenv("FAQ_BOT_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("FAQ_BOT_LOG_PATH", str(tmp_path / "log.sqlite3"))
    assert main(["versions"]) == 0  # nothing built yet: said, no model loaded
    assert "まだありません" in capsys.readouterr().out
    assert main(["reload"]) == 0  # the first build, of the file as it is: nothing to publish
    capsys.readouterr()
    assert main(["versions"]) == 0
    out = capsys.readouterr().out
    first = re.findall(r"^  ([0-9a-f]{12})  .*公開中$", out, re.M)
    assert len(first) == 1 and "公開の履歴: まだ記録されていません" in out
    edited = faq.read_text(encoding="utf-8").replace("見積書は何度でも発行できますか", "見積書は何回でも発行できますか")
    faq.write_text(edited, encoding="utf-8")
    assert main(["reload"]) == 0
    capsys.readouterr()

    assert main(["rollback", first[0], "--dry-run"]) == 0  # what it would change, and nothing changed
    out = capsys.readouterr().out
    assert "変更 1件" in out and "変更 [14] 見積書は何度でも発行できますか（質問）" in out and "戻していません" in out
    assert "回帰テスト（" in out and "）: " in out  # said even when no answer changes
    assert "何回でも" in faq.read_text(encoding="utf-8")
    assert main(["rollback", first[0][:6], "--dry-run"]) == 0  # the start of a version names it, as git's ids
    assert f"バージョン {first[0]}" in capsys.readouterr().out
    assert main(["rollback", "000000000000"]) == 1
    assert "「000000000000」は保存されていません" in capsys.readouterr().err

    # A question the edited version was said to answer (settled by a publish): the rollback asks it again.
    from faq_bot.storage.chatlog import ChatLog, ChatRecord
    from faq_bot.storage.database import Database

    chatlog = ChatLog(Database.sqlite(tmp_path / "log.sqlite3"))
    chatlog.write([ChatRecord("r-canteen", "社員食堂はありますか", "escalate", None, 0.1, "v1")])
    chatlog.dismiss(["r-canteen"], "alternate")
    assert main(["rollback", first[0]]) == 0
    out = capsys.readouterr().out
    assert f"バージョン {first[0]} に戻しました" in out
    assert "質問1件は、このバージョンでは回答されない（または以前の回答に戻る）ため、質問ログの一覧に戻しました" in out
    assert chatlog.count("dismissals") == 0
    assert faq.read_bytes() == original  # the kept version's file is back on disk
    assert main(["rollback", first[0]]) == 0  # the live version: nothing to do, nothing recorded
    assert "公開中です" in capsys.readouterr().out
    assert main(["versions"]) == 0
    out = capsys.readouterr().out
    kept = re.findall(r"^  ([0-9a-f]{12})  .*?(公開中)?$", out.split("公開の履歴")[0], re.M)
    assert kept[-1] == (first[0], "公開中") and len(kept) == 2
    history = out.split("公開の履歴（新しい順）:")[1].strip().splitlines()
    assert [line.split()[3] for line in history] == ["バージョンを戻す", "公開"]
    assert "変更 1" in history[0] and history[0].split()[4] == first[0]
    assert main(["rollback", kept[0][0], "--dry-run"]) == 0  # the edited version, newer: gone to, not back to
    out = capsys.readouterr().out
    assert f"バージョン {kept[0][0]}" in out and "に切り替えると:" in out and "（試行のみ: 切り替えていません）" in out


def test_a_version_is_named_by_its_build_its_version_or_a_start_that_names_one() -> None:
    from faq_bot.cli.content import _kept_build
    from faq_bot.errors import VersionNotFoundError
    from faq_bot.publishing.publisher import Version

    class Kept:
        def versions(self) -> list[Version]:
            return [
                Version("b3", "abc123456789", "", 1, "x.tsv", True),
                Version("b2", "abc1ffffffff", "", 1, "x.tsv", False),
                Version("b1", "abc123456789", "", 1, "x.tsv", False),  # an older build of the same content
            ]

    kept: Any = Kept()
    assert _kept_build(kept, "b1") == "b1"
    assert _kept_build(kept, "abc123456789") == "b3"  # the newest build of that content
    assert _kept_build(kept, "abc12") == "b3" and _kept_build(kept, "abc1f") == "b2"
    with pytest.raises(
        VersionNotFoundError, match="「abc1」で始まるバージョンが複数あります（abc123456789、abc1ffffffff）"
    ):
        _kept_build(kept, "abc1")
    for wanted in ("abc", "abc9", "b"):  # too short to name one, or names none
        with pytest.raises(VersionNotFoundError, match=f"バージョン「{wanted}」は保存されていません"):
            _kept_build(kept, wanted)


def test_the_commands_help_and_usage_errors_are_in_japanese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as missing:
        main(["rollback"])
    assert missing.value.code == 2
    err = capsys.readouterr().err
    assert "使い方: faq-bot rollback" in err and "エラー: 次の引数が必要です: version" in err
    with pytest.raises(SystemExit):
        main(["versions", "--history", "0"])
    assert "1以上の整数を指定してください: 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as helped:
        main(["versions", "--help"])
    out = capsys.readouterr().out
    assert helped.value.code == 0 and "オプション:" in out and "このヘルプを表示して終了する" in out
    assert "show this help" not in out and "options:" not in out


def test_calibrate_write_refuses_a_settings_file_it_cannot_write_before_fitting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faq_bot.cli import quality

    monkeypatch.setenv("FAQ_BOT_SETTINGS_FILE", str(tmp_path / "missing" / "site.env"))
    opened: list[object] = []
    monkeypatch.setattr(quality, "engine_for", lambda *a, **k: opened.append(a) or pytest.fail("fitted anyway"))
    queries = write(tmp_path / "q.tsv", "query\tgold\n請求書をPDFで取得したい\t31\n")
    assert main(["calibrate", str(queries), "--write"]) != 0
    assert "site.env に書き込めません" in capsys.readouterr().err and not opened


def test_eval_refuses_an_output_it_cannot_write_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import faq_bot.cli.quality as quality

    def no_engine(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the engine was opened before the output was checked")

    monkeypatch.setattr(quality, "engine_for", no_engine)
    queries = write(tmp_path / "q.tsv", "query\tgold\n請求書はいつ発行されますか\t1\n")
    for option in ("--html", "--csv", "--rankings"):
        assert main(["eval", str(queries), option, str(tmp_path / "missing" / "out")]) == 1
        assert "に書き出せません（フォルダーがあるか、書き込めるかを確かめてください）" in capsys.readouterr().err


def test_ctrl_c_is_said_and_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import faq_bot.cli as cli

    def interrupted(_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_validate", interrupted)
    assert main(["validate", "x.tsv"]) == 130
    assert "中断しました（Ctrl-C）。" in capsys.readouterr().err
