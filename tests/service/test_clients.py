from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq_bot import cli
from faq_bot.config import Settings
from faq_bot.service import app as app_module
from faq_bot.service.app import create_app
from faq_bot.service.clients import ClientAddresses, limit_key
from tests.fakes import FakeEmbedder
from tests.servers import uvicorn_thread

TOKEN = "clients-token-0123456789abcdef"
PROXIES = ClientAddresses((ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("10.0.0.0/8")))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # an untrusted peer's header means nothing
        ("127.0.0.1", ["spoofed, 203.0.113.7"], "203.0.113.7"),  # the proxy appended the real peer
        ("127.0.0.1", ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),  # a well-formed spoof is ignored too
        ("127.0.0.1", ["203.0.113.7, 10.1.2.3"], "203.0.113.7"),  # two trusted proxies in a row
        ("127.0.0.1", ["198.51.100.1", "203.0.113.7"], "203.0.113.7"),  # several headers read as one list
        ("127.0.0.1", ["<script>, 10.1.2.3"], "10.1.2.3"),  # garbage left of the proxies: the last proxy stands
        ("127.0.0.1", ["10.1.2.3"], "10.1.2.3"),  # only proxies: the left-most is the client
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["[2001:db8::7]:443"], "2001:db8::7"),
    ],
)
def test_the_client_is_the_right_most_hop_no_trusted_proxy_added(peer: str, forwarded: list[str], client: str) -> None:
    assert PROXIES.resolve(peer, forwarded) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert ClientAddresses().resolve("127.0.0.1", ["203.0.113.7"]) == "127.0.0.1"


def test_trusted_proxies_setting_takes_addresses_and_networks_and_names_a_bad_value() -> None:
    s = Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8,::1")  # type: ignore[arg-type]
    assert [str(n) for n in s.proxy_networks()] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError, match=r"trusted_proxies: 'proxy\.local'"):
        Settings(trusted_proxies="127.0.0.1,proxy.local")  # type: ignore[arg-type]
    assert [str(n) for n in Settings(trust_forwarded_for=True).proxy_networks()] == ["127.0.0.1/32", "::1/128"]


@pytest.fixture
def proxied(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "log_path": tmp_path / "log.db",
            "rate_limit": "5/minute",
            "admin_token": SecretStr(TOKEN),
            "trusted_proxies": [ipaddress.ip_network("127.0.0.1")],
        }
    )


@pytest.mark.parametrize(
    ("forwarded", "other"),
    [
        # An appending proxy: the visitor writes the left part, the proxy adds the real address on the right.
        (lambda i: f"198.51.100.{i}, 203.0.113.7", "203.0.113.8"),
        # An IPv6 visitor taking a new address of its /64 for every request; the next /64 is someone else.
        (lambda i: f"2001:db8:7:7::{i + 1:x}", "2001:db8:7:8::1"),
    ],
)
def test_behind_a_trusted_proxy_a_visitor_changing_what_it_can_does_not_escape_the_limit(
    proxied: Settings, forwarded: Callable[[int], str], other: str
) -> None:
    with TestClient(create_app(proxied, FakeEmbedder()), client=("127.0.0.1", 40000)) as c:
        codes = [
            c.post("/api/chat", json={"message": f"質問{i}"}, headers={"X-Forwarded-For": forwarded(i)}).status_code
            for i in range(8)
        ]
        assert codes == [200] * 5 + [429] * 3
        again = c.post("/api/chat", json={"message": "別の人"}, headers={"X-Forwarded-For": other})
        assert again.status_code == 200  # a different real client has a limit of its own


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),  # the same visitor, another address of its network
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 seen through an IPv6 socket
        ("unknown", "unknown"),
    ],
)
def test_a_rate_limit_counts_an_ipv6_client_by_its_64_network(address: str, key: str) -> None:
    assert limit_key(address) == key


def test_spoofed_header_text_never_reaches_the_log(proxied: Settings, caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(create_app(proxied, FakeEmbedder()), client=("127.0.0.1", 40000)) as c:
        c.post(
            "/admin/reload",
            headers={"Authorization": "Bearer wrong-token-0123456789", "X-Forwarded-For": "evil-text, 203.0.113.7"},
        )
    assert "203.0.113.7" in caplog.text and "evil" not in caplog.text


def serve_options(monkeypatch: pytest.MonkeyPatch, app: FastAPI) -> dict[str, Any]:
    """The uvicorn options `faq-bot serve` uses (uvicorn.run intercepted)."""
    captured: dict[str, Any] = {}
    monkeypatch.setattr(app_module, "create_app", lambda *a, **k: app)
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: captured.update(options))
    assert cli.main(["serve", "--port", "1"]) == 0
    assert captured["log_config"]["loggers"]["faq_bot"]["level"] == "INFO"  # warnings and recoveries are seen
    return {k: v for k, v in captured.items() if k not in ("host", "port", "log_config")}


def test_served_as_faq_bot_serve_does_120_requests_with_new_forwarded_for_headers_are_limited(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No trusted proxy: uvicorn must not take the client address from the header either (it trusts loopback)."""
    s = settings.model_copy(update={"log_path": tmp_path / "log.db", "rate_limit": "60/minute"})
    app = create_app(s, FakeEmbedder())
    options = serve_options(monkeypatch, app)
    with uvicorn_thread(app, **options) as url, httpx.Client(base_url=url) as http:
        codes = [
            http.post(
                "/api/chat", json={"message": f"質問{i}"}, headers={"X-Forwarded-For": f"198.51.{i // 250}.{i % 250}"}
            ).status_code
            for i in range(120)
        ]
    assert codes.count(200) == 60 and codes.count(429) == 60


def test_the_deprecated_setting_still_works_and_says_so(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "log.db", "trust_forwarded_for": True})
    caplog.set_level(logging.WARNING)
    app = create_app(s, FakeEmbedder())
    assert "FAQ_BOT_TRUSTED_PROXIES" in caplog.text
    assert app.state.clients.resolve("127.0.0.1", ["1.2.3.4, 203.0.113.7"]) == "203.0.113.7"
