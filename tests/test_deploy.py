"""The deployment of ``deploy/``: three `faq-bot serve` replicas behind nginx, one PostgreSQL, one Redis, on loopback.

Real processes and the real model; nothing mocked. nginx serves https as shipped, with a
self-signed certificate for the run that every client here verifies (``cluster.verify``);
its plain http listener only redirects. Visitors chat through nginx while a
FAQ is published on one replica, while a replica is SIGKILLed and restarted (and misses
a publish made from the CLI meanwhile); the staff log and the visitor rate limit are
checked across replicas. Timings are the benchmark's business (``benchmarks/scale_out.py``):
these tests wait for observable states with generous deadlines.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from benchmarks.cluster import ADMIN, Cluster, Visitors, answers_by_version, failed, mixed
from faq_bot.config import PROJECT_ROOT
from faq_bot.content import faq as faq_table
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SHIPPED = (PROJECT_ROOT / "data" / "faq.tsv").read_bytes()
#: The visitor rate limit of the cluster; the load below comes from ever new addresses, so only the limit test meets it.
LIMIT = 12
#: Generous: a replica loads a published version in well under a second (see docs/scale-out.md).
FOLLOW_DEADLINE = 60.0


def variant(tag: str) -> bytes:
    """The shipped FAQ with every answer changed, so that a reply shows which version wrote it."""
    entries = faq_table.read_bytes(SHIPPED, "faq.tsv").entries
    return faq_table.dump([replace(e, answer=f"{e.answer}（{tag}）") for e in entries]).encode("utf-8")


def questions() -> list[str]:
    return [e.question for e in faq_table.read_bytes(SHIPPED, "faq.tsv").entries]


def version_of(tsv: bytes) -> str:
    """The version id replies carry for a FAQ file."""
    return next(iter(answers_by_version(tsv)))


def all_serve(cluster: Cluster, version: str) -> bool:
    """Every running replica serves this version."""
    return all(cluster.version_of(s) == version for s in cluster.servers if s.proc and s.proc.poll() is None)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster(3, SHIPPED, rate_limit=f"{LIMIT}/minute").start()
    yield c
    c.stop()


def test_a_publish_on_one_replica_under_load_reaches_every_replica_without_a_failed_or_mixed_reply(
    cluster: Cluster,
) -> None:
    before = cluster.version_of(cluster.servers[0])
    v2 = variant("v2")
    visitors = Visitors(cluster.url, questions(), verify=cluster.verify).start()
    try:
        wait_until(lambda: visitors.count() > 30, timeout=60, what="chat load running")
        version = cluster.publish(cluster.servers[0], v2)
        wait_until(
            lambda: all_serve(cluster, version), timeout=FOLLOW_DEADLINE, what="every replica on the new version"
        )
        seen = visitors.count()
        wait_until(lambda: visitors.count() > seen + 60, timeout=60, what="chat load after the publish")
    finally:
        replies = visitors.stop()
    assert failed(replies) == []
    assert mixed(replies, answers_by_version(SHIPPED, v2)) == []
    versions = {r.faq_version for r in replies}
    assert version in versions and before in versions  # the load really spanned the swap


def test_a_replica_killed_under_load_loses_at_most_the_reply_it_was_writing_and_catches_up_with_a_publish(
    cluster: Cluster,
) -> None:
    victim, other = cluster.servers[1], cluster.servers[2]
    visitors = Visitors(cluster.url, questions(), verify=cluster.verify).start()
    try:
        wait_until(lambda: visitors.count() > 30, timeout=60, what="chat load running")
        killed = time.monotonic()
        victim.kill()
        seen = visitors.count()
        wait_until(lambda: visitors.count() > seen + 60, timeout=60, what="chat load with a replica dead")
        # Published from the CLI on another replica's machine while the victim is down: it never hears of it.
        v3 = variant("v3")
        faq = cluster.folder / other.name / "faq.tsv"
        faq.write_bytes(v3)
        env = {**os.environ, **cluster.env(other.name)}
        done = subprocess.run(
            [sys.executable, "-m", "faq_bot.cli", "reload"], env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-2000:]
        wait_until(lambda: all_serve(cluster, version_of(v3)), timeout=FOLLOW_DEADLINE, what="the others on v3")
        victim.start()  # ready only once it listens and serves the current version
        assert cluster.version_of(victim) == version_of(v3)
        seen = visitors.count()
        wait_until(lambda: visitors.count() > seen + 60, timeout=60, what="chat load with the replica back")
    finally:
        replies = visitors.stop()
    # A crash between a reply's header and its body (two writes microseconds apart) cuts that one reply
    # off after nginx has passed its header on: no proxy can retry it. At most that one, at the crash.
    cut = [r for r in failed(replies) if "without sending complete message body" in (r.error or "")]
    at_crash = [r for r in cut if killed - 5 <= r.sent <= killed + 1]
    assert len(at_crash) <= 1 and [r for r in failed(replies) if r not in at_crash] == [], (
        failed(replies),
        cluster.nginx.error_log() if cluster.nginx else "",
    )
    assert mixed(replies, answers_by_version(SHIPPED, variant("v2"), variant("v3"))) == []
    direct = httpx.post(victim.url + "/api/chat", json={"message": questions()[0]}, timeout=30).json()
    assert direct["faq_version"] == version_of(v3)


def test_the_staff_log_on_any_replica_shows_the_questions_all_three_answered(cluster: Cluster) -> None:
    tag = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])  # digits could be masked as a number
    asked = [f"請求書はいつ発行されますか {tag} {s.name}" for s in cluster.servers]
    for server, message in zip(cluster.servers, asked, strict=True):
        res = httpx.post(server.url + "/api/chat", json={"message": message}, timeout=30)
        assert res.status_code == 200

    def everywhere() -> bool:
        logs = [httpx.get(s.url + "/admin/log.csv", headers=ADMIN, timeout=30).text for s in cluster.servers]
        return all(m in log for log in logs for m in asked)

    wait_until(everywhere, timeout=30, what="each replica's log showing all three questions")


def test_the_visitor_rate_limit_holds_across_replicas(cluster: Cluster) -> None:
    visitor = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250 + 1}"}
    codes = [
        httpx.post(cluster.url + "/api/chat", json={"message": "支払い方法について教えてください"}, headers=visitor,
                   timeout=30, verify=cluster.verify).status_code
        for _ in range(LIMIT + 6)
    ]  # fmt: skip
    # nginx spreads the requests over three replicas: the limit, not three times it.
    assert codes.count(200) == LIMIT and codes[LIMIT:] == [429] * 6


def test_nginx_refuses_large_bodies_except_the_consoles_uploads(cluster: Cluster) -> None:
    big = b'{"message": "' + b"a" * 100_000 + b'"}'
    for path in ("/api/chat", "/admin/login"):
        res = httpx.post(
            cluster.url + path, content=big, headers={"Content-Type": "application/json"}, timeout=30,
            verify=cluster.verify,
        )  # fmt: skip
        # nginx's own refusal (the app's would be JSON): the body is never read into a replica or spooled.
        assert res.status_code == 413 and "json" not in res.headers.get("content-type", ""), (path, res.text[:200])
    # An upload of a few hundred KB reaches the app through the console's location (a broken file: nothing published).
    broken = ("id\t質問\n" + "x\ty\n" * 60_000).encode("utf-8")
    res = httpx.post(
        cluster.url + "/admin/faq", headers=ADMIN, files={"file": ("faq.tsv", broken)}, timeout=120,
        verify=cluster.verify,
    )  # fmt: skip
    assert len(broken) > 200_000 and res.status_code == 422 and "json" in res.headers["content-type"], res.text[:300]
    # Without the login it is refused by the app at once (passed on unbuffered, so not spooled first).
    anonymous = httpx.post(
        cluster.url + "/admin/faq", files={"file": ("faq.tsv", broken)}, timeout=30, verify=cluster.verify
    )
    assert anonymous.status_code == 401


def test_plain_http_only_redirects_to_https_and_https_replies_keep_browsers_off_plain_http(cluster: Cluster) -> None:
    assert cluster.nginx is not None
    # Nothing is served or passed on over plain http, a visitor's POST included: a permanent redirect to https.
    for res in (
        httpx.get(cluster.nginx.http_url + "/admin/login?next=%2Fadmin%2F", timeout=30),
        httpx.post(cluster.nginx.http_url + "/api/chat", json={"message": questions()[0]}, timeout=30),
    ):
        path = res.request.url.raw_path.decode("ascii")
        assert res.status_code == 301 and res.headers["location"] == f"https://127.0.0.1{path}", res.headers
    # Over https, replies tell browsers never to try plain http again: the app's, and nginx's own refusals too.
    ready = httpx.get(cluster.url + "/readyz", timeout=30, verify=cluster.verify)
    refused = httpx.post(cluster.url + "/api/chat", content=b"a" * 100_000, timeout=30, verify=cluster.verify)
    assert (ready.status_code, refused.status_code) == (200, 413)
    for res in (ready, refused):
        assert res.headers["strict-transport-security"] == "max-age=31536000", res.headers
    # The certificate is really checked: a client that trusts only the usual authorities is refused.
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(cluster.url + "/readyz", timeout=30)
