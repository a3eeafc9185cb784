"""Who is asking: the client address used for rate limits and in security log lines."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request


@dataclass(frozen=True)
class ClientAddresses:
    """How to read a request's client address (behind a trusted proxy: from X-Forwarded-For)."""

    trust_forwarded_for: bool = False

    def of(self, request: Request) -> str:
        """The client's address (the first X-Forwarded-For hop only behind a trusted proxy)."""
        if self.trust_forwarded_for:
            forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
            if forwarded:
                return forwarded
        return request.client.host if request.client else "unknown"


def client_address(request: Request) -> str:
    """The client address of a request, as the app is configured to read it."""
    clients: ClientAddresses = getattr(request.app.state, "clients", None) or ClientAddresses()
    return clients.of(request)
