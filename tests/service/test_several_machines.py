"""Replicas of the app sharing one PostgreSQL and one Redis: each app runs its real lifespan in this process."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from benchmarks.services import Postgres, Redis
from faq_bot.config import Settings
from faq_bot.errors import PublishConflictError
from tests.conftest import ADMIN_AUTH, ADMIN_TOKEN, app_client, csrf_of, new_postgres_url
from tests.publishing.test_publisher import NEW_FAQ
from tests.waiting import wait_until

#: Apps with a PostgreSQL listener each, waiting for real state changes: out of `make test-fast`.
pytestmark = pytest.mark.slow
Start = Callable[..., TestClient]


@pytest.fixture
def replicas(admin_settings: Settings, tmp_path: Path, postgres: Postgres) -> Iterator[Start]:
    """Starts apps on "machines" of their own (index folder, FAQ file, SQLite paths unused) sharing a database."""
    url = new_postgres_url(postgres)
    with ExitStack() as stack:

        def start(name: str, **update: object) -> TestClient:
            home = tmp_path / name
            home.mkdir()
            faq = Path(shutil.copy(admin_settings.faq_path, home / "faq.tsv"))
            settings = admin_settings.model_copy(
                update={"database_url": SecretStr(url), "index_dir": home / "index", "faq_path": faq,
                        "log_path": home / "unused.sqlite3", "session_path": home / "unused-sessions.sqlite3",
                        **update}
            )  # fmt: skip
            return stack.enter_context(app_client(settings, https=True))

        yield start


def ask(client: TestClient, message: str, **headers: str) -> int:
    return client.post("/api/chat", json={"message": message}, headers=headers).status_code


def test_staff_on_any_replica_see_the_questions_all_of_them_answered(replicas: Start) -> None:
    a, b = replicas("a"), replicas("b")
    assert ask(a, "請求書はいつ発行されますか") == 200 and ask(b, "銀行振込はできますか") == 200

    def shows_both(client: TestClient) -> bool:
        csv = client.get("/admin/log.csv", headers=ADMIN_AUTH).text
        return "請求書はいつ発行されますか" in csv and "銀行振込はできますか" in csv

    for client in (a, b):  # each replica writes its questions within a tenth of a second (in batches)
        wait_until(partial(shows_both, client), what="both replicas' questions in the log")
    assert not (Path(a.app.state.settings.log_path)).exists()  # type: ignore[attr-defined]


def test_a_login_on_one_replica_is_a_session_on_the_others_and_logout_ends_it_everywhere(replicas: Start) -> None:
    a, b = replicas("a"), replicas("b")
    assert a.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False).status_code == 303
    b.cookies = a.cookies
    assert b.get("/admin", follow_redirects=False).status_code == 200
    a.app.state.admin_auth.sessions.revoke(  # type: ignore[attr-defined]
        a.cookies.get("faq_bot_admin", "").partition(".")[0]
    )
    assert b.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"


def test_a_publish_through_one_replica_is_served_by_the_other(replicas: Start) -> None:
    a, b = replicas("a"), replicas("b")
    res = a.post("/admin/faq", headers=ADMIN_AUTH, files={"file": ("faq.tsv", NEW_FAQ.encode())})
    assert res.status_code == 200, res.text
    version = a.get("/readyz").json()["faq_version"]
    wait_until(lambda: b.get("/readyz").json()["faq_version"] == version, what="b following a's publish")
    assert b.get("/api/faqs/7").status_code == 200
    newest = b.get("/admin/versions", headers=ADMIN_AUTH).json()[0]
    assert newest["faq_version"] == version and newest["current"]


def test_a_preview_made_on_one_replica_is_published_from_another(replicas: Start) -> None:
    """Behind a load balancer the editor's next request may reach any replica: what the preview staged (and a
    batch result, an undo) is kept in the shared database, not on the disk of the replica that made it."""
    a, b = replicas("a"), replicas("b")
    assert a.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False).status_code == 303
    b.cookies = a.cookies
    csrf = csrf_of(a.get("/admin").text)
    preview = a.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", NEW_FAQ.encode())}).text
    staged = re.search(r'name="staged" value="([0-9a-f]+)"', preview)
    base = re.search(r'name="base" value="([^"]+)"', preview)
    assert staged and base and not (Path(a.app.state.settings.index_dir) / "staging").exists()  # type: ignore[attr-defined]
    done = b.post("/admin/ui/publish", data={"csrf": csrf, "staged": staged.group(1), "base": base.group(1)})
    assert "公開しました" in done.text, done.text[-2000:]
    wait_until(lambda: a.get("/readyz").json()["faq_version"] == b.get("/readyz").json()["faq_version"],
               what="both replicas on the published version")  # fmt: skip
    assert a.get("/readyz").json()["faq_version"] != base.group(1)
    again = a.post("/admin/ui/publish", data={"csrf": csrf, "staged": staged.group(1), "base": base.group(1)})
    assert "この内容はすでに公開されています" in again.text  # sent again (a reload): published, said so on any replica


def test_a_workbook_downloaded_before_a_publish_is_compared_on_a_replica_that_never_served_its_version(
    replicas: Start,
) -> None:
    """The version a workbook was made from is read from the database (its TSV alone, not its whole build)."""
    a = replicas("a")
    old = a.get("/admin/faq.xlsx", headers=ADMIN_AUTH).content
    origin = a.get("/readyz").json()["faq_version"]
    assert a.post("/admin/faq", headers=ADMIN_AUTH, files={"file": ("faq.tsv", NEW_FAQ.encode())}).status_code == 200
    c = replicas("c")  # started after the publish: it serves the new version and has never had the old one
    dry = c.post("/admin/faq?dry_run=1", headers=ADMIN_AUTH, files={"file": ("faq.xlsx", old)}).json()
    assert dry["drift"]["origin"] == origin and [e["entry_id"] for e in dry["drift"]["undone"]] == ["1", "7"]
    kept = {v["faq_version"]: v["build_id"] for v in c.get("/admin/versions", headers=ADMIN_AUTH).json()}
    builds = Path(c.app.state.settings.index_dir) / "builds"  # type: ignore[attr-defined]
    assert not (builds / kept[origin]).exists()


def test_a_publish_that_lost_the_race_is_a_409_with_a_japanese_message(replicas: Start) -> None:
    a, b = replicas("a"), replicas("b")
    b.app.state.follower.stop()  # type: ignore[attr-defined]  # b does not hear of a's publish
    assert a.post("/admin/faq", headers=ADMIN_AUTH, files={"file": ("faq.tsv", NEW_FAQ.encode())}).is_success
    res = b.post("/admin/faq", headers=ADMIN_AUTH, files={"file": ("faq.tsv", (NEW_FAQ + "9\tx\ty\tz\t\n").encode())})
    assert res.status_code == 409 and "別の公開またはロールバックが先に完了" in res.json()["detail"]
    assert PublishConflictError.__name__ not in res.text


def test_readiness_follows_the_database_and_chat_answers_through_an_outage(
    admin_settings: Settings, tmp_path: Path
) -> None:
    own = Postgres().start()
    try:
        url = own.create_database("outage")
        settings = admin_settings.model_copy(update={"database_url": SecretStr(url), "index_dir": tmp_path / "i"})
        with app_client(settings) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["database"] == "ok"
            own.stop_server()
            wait_until(lambda: client.get("/readyz").status_code == 503, what="not ready without the database")
            assert client.get("/readyz").json()["status"] == "database_unreachable"
            assert ask(client, "請求書はいつ発行されますか") == 200  # visitors are still answered from memory
            versions = client.get("/admin/versions", headers=ADMIN_AUTH)
            assert versions.status_code == 503 and "データベースに接続できません" in versions.json()["detail"]
            own.start_server()
            wait_until(lambda: client.get("/readyz").status_code == 200, timeout=30, what="ready again")
            wait_until(lambda: client.get("/readyz").json()["log"]["queued"] == 0, what="queued rows written")
            assert "請求書はいつ発行されますか" in client.get("/admin/log.csv", headers=ADMIN_AUTH).text
    finally:
        own.stop()


def test_the_visitor_rate_limit_holds_across_replicas(replicas: Start, redis_server: Redis) -> None:
    shared = {"redis_url": SecretStr(redis_server.url), "rate_limit": "3/minute",
              "trusted_proxies": [], "admin_login_limit": "2/minute"}  # fmt: skip
    a, b = replicas("a", **shared), replicas("b", **shared)
    visitor = f"visitor-{uuid.uuid4().hex}"  # the same client address on both (TestClient's), a fresh counter
    a.app.state.rate_limit.kind = b.app.state.rate_limit.kind = visitor  # type: ignore[attr-defined]
    codes = [ask(client, "請求書はいつ発行されますか") for client in (a, b, a, b, a)]
    assert codes == [200, 200, 200, 429, 429]


def test_failed_logins_count_on_every_replica(replicas: Start, redis_server: Redis) -> None:
    shared = {"redis_url": SecretStr(redis_server.url), "admin_login_limit": "2/minute"}
    a, b = replicas("a", **shared), replicas("b", **shared)
    kind = f"failed-{uuid.uuid4().hex}"
    a.app.state.admin_auth.throttle.kind = b.app.state.admin_auth.throttle.kind = kind  # type: ignore[attr-defined]
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}
    assert [c.get("/admin/versions", headers=wrong).status_code for c in (a, b, a)] == [403, 403, 429]
    assert b.get("/admin/versions", headers=ADMIN_AUTH).status_code == 429  # even the right token, for now


def test_without_redis_the_limits_count_per_replica_and_chat_answers(admin_settings: Settings) -> None:
    dead = admin_settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0"), "rate_limit": "2/minute"})
    with app_client(dead) as client:
        assert [ask(client, "請求書はいつ発行されますか") for _ in range(3)] == [200, 200, 429]
