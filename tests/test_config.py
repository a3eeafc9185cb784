from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from faq_bot.config import PROJECT_ROOT, Settings


def test_defaults_are_absolute_under_the_project_root() -> None:
    s = Settings()
    assert s.faq_path == PROJECT_ROOT / "data" / "faq.tsv"
    assert s.index_dir.is_absolute() and s.model_dir.is_absolute()


def test_environment_overrides_every_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FAQ_BOT_FAQ_PATH", str(tmp_path / "x.tsv"))
    monkeypatch.setenv("FAQ_BOT_ANSWER_THRESHOLD", "0.7")
    monkeypatch.setenv("FAQ_BOT_INDEX_TYPE", "hnsw")
    s = Settings()
    assert s.faq_path == tmp_path / "x.tsv" and s.answer_threshold == 0.7 and s.index_type == "hnsw"


def test_the_subject_names_come_from_the_environment_as_json_trimmed_and_once_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAQ_BOT_SUBJECT_NAMES", '["若葉市", " 若葉市 ", "", "若葉市役所"]')
    s = Settings()
    assert s.subject_names == ("若葉市", "若葉市役所")
    assert s.retrieval_params().search.subject_names == ("若葉市", "若葉市役所")
    monkeypatch.setenv("FAQ_BOT_SUBJECT_NAMES", "[]")
    assert Settings().subject_names == ()  # none: every asking sentence is read as typed
    monkeypatch.setenv("FAQ_BOT_SUBJECT_NAMES", '["' + "あ" * 101 + '"]')
    with pytest.raises(ValidationError, match="subject_names"):
        Settings()
    monkeypatch.setenv("FAQ_BOT_SUBJECT_NAMES", "[" + ",".join(f'"名前{i}"' for i in range(21)) + "]")
    with pytest.raises(ValidationError, match="given 21"):
        Settings()


def test_relative_paths_from_the_environment_resolve_against_the_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAQ_BOT_INDEX_DIR", "idx")
    assert Settings().index_dir == tmp_path / "idx"


def test_bad_values_fail_fast_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQ_BOT_ANSWER_THRESHOLD", "high")
    with pytest.raises(ValidationError, match="answer_threshold"):
        Settings()


def test_thresholds_are_probabilities_but_an_old_suggest_sum_still_loads() -> None:
    # A settings file written by an older `calibrate --write` holds a sum of probabilities (for a
    # format-1 decision model, which still decides that way).
    assert Settings(suggest_threshold=1.2).suggest_threshold == 1.2
    with pytest.raises(ValidationError, match="answer_threshold"):
        Settings(answer_threshold=1.5)
    with pytest.raises(ValidationError, match="suggest_threshold"):
        Settings(suggest_threshold=3.5)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_url", "mysql://user:s3cretpw@db.example/faq"),
        ("redis_url", "http://:s3cretpw@cache.example:6379/0"),
        ("database_url", "mysql://db.example/faq?user=app&password=s3cretpw"),  # libpq's way: in the query
    ],
)
def test_a_refused_url_never_shows_its_password(monkeypatch: pytest.MonkeyPatch, field: str, value: str) -> None:
    monkeypatch.setenv(f"FAQ_BOT_{field.upper()}", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert field in str(refused.value) and "s3cretpw" not in str(refused.value)


def test_load_settings_says_what_is_wrong_one_line_a_setting_never_a_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from faq_bot.config import load_settings
    from faq_bot.errors import ConfigError

    monkeypatch.setenv("FAQ_BOT_SETTINGS_FILE", str(tmp_path / "none.env"))
    monkeypatch.setenv("FAQ_BOT_ADMIN_TOKEN", "short-s3cret")
    monkeypatch.setenv("FAQ_BOT_ANSWER_THRESHOLD", "high")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    lines = str(refused.value).splitlines()
    assert lines[0] == "設定が正しくありません（環境変数）:"
    assert any(ln.startswith("  FAQ_BOT_ADMIN_TOKEN: 管理トークンは16文字以上にしてください") for ln in lines)
    assert any(ln.startswith("  FAQ_BOT_ANSWER_THRESHOLD: ") for ln in lines)
    assert "s3cret" not in str(refused.value) and "Traceback" not in str(refused.value)
    # A URL whose password a parser misreads, or a bare password pasted for one: never shown.
    for url in ("mysql://app:s3cret/pw@db/x", "mysql://app:s3c#ret@db/x", "s3cretpw"):
        monkeypatch.setenv("FAQ_BOT_ADMIN_TOKEN", "a-token-long-enough")
        monkeypatch.setenv("FAQ_BOT_ANSWER_THRESHOLD", "0.5")
        monkeypatch.setenv("FAQ_BOT_DATABASE_URL", url)
        with pytest.raises(ConfigError) as refused:
            load_settings()
        assert "FAQ_BOT_DATABASE_URL: postgresql://" in str(refused.value) and "s3c" not in str(refused.value), url
        with pytest.raises(ValidationError) as raw:  # pydantic's own message too (a log may print it)
            Settings()
        assert "s3c" not in str(raw.value), url
    monkeypatch.delenv("FAQ_BOT_DATABASE_URL")
    monkeypatch.setenv("FAQ_BOT_SUBJECT_NAMES", "notjson")  # no JSON where a list is expected: the same one error
    with pytest.raises(ConfigError, match="subject_names"):
        load_settings()


def test_calibrate_writes_the_settings_file_that_start_up_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from faq_bot.config import load_settings, write_settings

    chosen = tmp_path / "site.env"
    chosen.write_text("# kept\nFAQ_BOT_ANSWER_THRESHOLD=0.3\n", encoding="utf-8")
    monkeypatch.setenv("FAQ_BOT_SETTINGS_FILE", str(chosen))
    assert write_settings({"answer_threshold": "0.6", "suggest_threshold": "0.2"}) == chosen
    assert chosen.read_text(encoding="utf-8").splitlines() == [
        "# kept", "FAQ_BOT_ANSWER_THRESHOLD=0.6", "FAQ_BOT_SUGGEST_THRESHOLD=0.2"
    ]  # fmt: skip
    settings = load_settings()
    assert (settings.answer_threshold, settings.suggest_threshold) == (0.6, 0.2)


def test_a_name_in_the_settings_file_that_is_no_setting_is_warned_of_and_others_are_left_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from faq_bot.config import load_settings

    site = tmp_path / "site.env"
    site.write_text(
        "FAQ_BOT_ANSWR_THRESHOLD=0.5\nFAQ_BOT_LISTEN_HOST=127.0.0.1\nPATH_FOR_THE_UNIT=/x\nFAQ_BOT_SUGGEST_THRESHOLD=0.2\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FAQ_BOT_SETTINGS_FILE", str(site))
    with caplog.at_level("WARNING", logger="faq_bot.config"):
        assert load_settings().suggest_threshold == 0.2
    (said,) = [r.getMessage() for r in caplog.records]
    assert f"設定ファイル {site} の FAQ_BOT_ANSWR_THRESHOLD は faq-bot の設定にない名前" in said
    assert "LISTEN_HOST" not in said and "PATH_FOR_THE_UNIT" not in said  # the unit's: read elsewhere


def test_a_settings_file_saved_in_shift_jis_is_refused_in_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from faq_bot.config import load_settings
    from faq_bot.errors import ConfigError

    site = tmp_path / "site.env"
    site.write_bytes("FAQ_BOT_ESCALATION_TEXT=担当者にお問い合わせください\n".encode("cp932"))
    monkeypatch.setenv("FAQ_BOT_SETTINGS_FILE", str(site))
    with pytest.raises(ConfigError, match=f"設定ファイル {re.escape(str(site))} をUTF-8として読めません"):
        load_settings()
