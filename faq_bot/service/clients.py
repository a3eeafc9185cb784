"""Who is asking: the client address used for rate limits and in security log lines.

``X-Forwarded-For`` is text anyone can write. Only the hops that trusted proxies
appended are believed: reading the list from the right, every address that belongs
to a trusted proxy is skipped and the first one that does not is the client (what
nginx's ``real_ip_recursive`` does). Everything left of it was written by the
client and is ignored, and never logged. Without trusted proxies the peer address
is the client, whatever the headers say. (``faq-bot serve`` runs uvicorn with
``proxy_headers=False`` so that uvicorn does not rewrite the peer address itself.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(text: str) -> Address | None:
    """An IP address from a header hop (``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443``), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class ClientAddresses:
    """How to read a request's client address: the peer, or behind trusted proxies the hop they vouch for."""

    trusted_proxies: tuple[Network, ...] = ()

    def trusted(self, address: Address | None) -> bool:
        """The address belongs to a trusted proxy."""
        return address is not None and any(address in net for net in self.trusted_proxies)

    def resolve(self, peer: str, forwarded_for: Sequence[str] = ()) -> str:
        """The client address of a connection from ``peer`` carrying these ``X-Forwarded-For`` headers."""
        if not self.trusted(parse_address(peer)):
            return peer
        hops = [hop for header in forwarded_for for hop in header.split(",")]
        client = peer
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                break  # not an address: nothing a proxy wrote; the last vouched-for hop stands
            client = str(address)
            if not self.trusted(address):
                break
        return client

    def of(self, request: Request) -> str:
        """The client's address."""
        peer = request.client.host if request.client else "unknown"
        return self.resolve(peer, request.headers.getlist("x-forwarded-for"))


def client_address(request: Request) -> str:
    """The client address of a request, as the app is configured to read it."""
    clients: ClientAddresses = getattr(request.app.state, "clients", None) or ClientAddresses()
    return clients.of(request)


#: An IPv6 client usually holds a whole /64 (its provider hands out the network, the host picks addresses
#: in it at will): counted by address, one client could take a fresh one for every request.
IPV6_CLIENT_PREFIX = 64


def limit_key(address: str) -> str:
    """What a rate limit counts for a client address: an IPv4 address, or the /64 network of an IPv6 one."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return address


def client_limit_key(request: Request) -> str:
    """``limit_key`` of the request's client address."""
    return limit_key(client_address(request))
