"""Shared fixtures: settings in temporary folders, a small FAQ, fake and real engines, the app with admin enabled."""

from __future__ import annotations

import html
import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from benchmarks.services import Postgres, Redis
from faq_bot.config import PROJECT_ROOT, Settings
from faq_bot.retrieval.engine import Engine
from faq_bot.runtime import open_engine
from faq_bot.service.app import create_app
from faq_bot.storage.chatlog import ChatLog
from faq_bot.storage.database import Database, postgres_url
from faq_bot.storage.logwriter import LogWriter
from tests.fakes import FAKE_DECISION_MODEL, FakeEmbedder

#: The admin token of every test that enables admin (16+ characters, as the settings require).
ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')

SMALL_FAQ = """id\tcategory\tquestion\tanswer\talternates
1\t請求\t請求書はいつ発行されますか\t毎月10日頃に発行します。\t請求書の発行日
2\t請求\t請求書をダウンロードできますか\tマイページの請求一覧からPDFで出力できます。\t
3\t見積\t見積書を発行できますか\tカート画面から見積書を作成できます。\t見積を作りたい|quotation
4\t支払い\tクレジットカードは使えますか\tVISAとJCBに対応しています。\t
5\t支払い\t銀行振込はできますか\tはい、銀行振込に対応しています。\t
6\t会員\tパスワードを変更できますか\tマイページの会員情報から変更できます。\t
"""


def written_log(client: TestClient) -> ChatLog:
    """The app's question log for reading, once every row queued so far is written."""
    writer: LogWriter = client.app.state.log_writer  # type: ignore[attr-defined]
    assert writer.flush(timeout=30), writer.health()
    return ChatLog(writer.store.db)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def csrf_of(html: str) -> str:
    """The CSRF token the forms of an admin page carry."""
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def form_fields(page: str, action: str) -> dict[str, str]:
    """The named values of the form a page sends to ``action`` (its text boxes, boxes of several lines and hidden
    fields), as a browser sends them (unescaped)."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, action
    fields = re.findall(r'name="(\w+)"[^>]*? value="([^"]*)"', form.group(0))
    boxes = re.findall(r'<textarea[^>]*? name="(\w+)"[^>]*>(.*?)</textarea>', form.group(0), re.S)
    return {k: html.unescape(v) for k, v in [*fields, *boxes]}


@contextmanager
def app_client(settings: Settings, *, https: bool = False) -> Iterator[TestClient]:
    """The app on the fake embedder, its lifespan running (``https``: so that Secure cookies come back)."""
    base_url = "https://testserver" if https else "http://testserver"
    with TestClient(create_app(settings, FakeEmbedder()), base_url=base_url) as client:
        yield client


_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL server for the whole run (Debian's, as the postgres user, on a loopback port of its own)."""
    server = Postgres().start()
    yield server
    server.stop()


def new_postgres_url(server: Postgres) -> str:
    """The URL of a fresh, empty database on the test server."""
    return server.create_database(f"test_{os.getpid()}_{next(_databases)}")


def new_postgres_database(server: Postgres) -> Database:
    """A fresh, empty database on the test server."""
    return Database(postgres_url(new_postgres_url(server)))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    """One Redis for the whole run (Debian's redis-server on a loopback port, nothing persisted)."""
    server = Redis().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each backend: the stores' tests run on both."""
    if request.param == "sqlite":
        db = Database.sqlite(tmp_path / "db.sqlite3")
    else:
        db = new_postgres_database(request.getfixturevalue("postgres"))
    yield db
    db.dispose()


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    return write(tmp_path / "faq.tsv", SMALL_FAQ)


@pytest.fixture
def settings(tmp_path: Path, faq_file: Path) -> Settings:
    model = tmp_path / "decision_model.json"
    FAKE_DECISION_MODEL.save(model)
    return Settings(
        decision_model_path=model,
        faq_path=faq_file,
        index_dir=tmp_path / "index",
        synonyms_path=PROJECT_ROOT / "data" / "synonyms.tsv",
        model_dir=tmp_path / "no-model",
        answer_threshold=0.6,
        suggest_threshold=0.3,
        dense_floor=0.0,
        dense_ceiling=0.6,
        rate_limit="",  # tests send bursts from one client; the limit has tests of its own
        log_path=tmp_path / "chat.sqlite3",
        session_path=tmp_path / "sessions.sqlite3",
    )


@pytest.fixture
def fake_engine(settings: Settings) -> Engine:
    return open_engine(settings, FakeEmbedder())


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shipped FAQ and model, with a private index folder."""
    private = tmp_path_factory.mktemp("real-index")
    settings = Settings(
        index_dir=private, rate_limit="", log_path=private / "chat.sqlite3", session_path=private / "sessions.sqlite3"
    )
    if not (settings.model_dir / "modules.json").is_file():
        pytest.fail(f"model missing in {settings.model_dir}: run `make model` first")
    return settings


@pytest.fixture(scope="session")
def real_engine(real_settings: Settings) -> Iterator[Engine]:
    yield open_engine(real_settings)


@pytest.fixture
def admin_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Test settings with a chat log and admin enabled (``ADMIN_TOKEN``)."""
    return settings.model_copy(update={"log_path": tmp_path / "log.sqlite3", "admin_token": SecretStr(ADMIN_TOKEN)})


@pytest.fixture
def admin_client(admin_settings: Settings) -> Iterator[TestClient]:
    """The app over https with admin enabled; not logged in."""
    with app_client(admin_settings, https=True) as client:
        yield client


@pytest.fixture
def logged_in_client(admin_client: TestClient) -> TestClient:
    """``admin_client`` with an editor's session cookie (logged in through the login form)."""
    res = admin_client.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    assert res.status_code == 303, res.text
    return admin_client
