"""The client's address, the one every rate limit and lockout is keyed on.

``X-Forwarded-For`` is a header any client can send, so it is believed only when the direct peer is one of
the proxies named in ``PODIUM_TRUSTED_PROXIES``; then the client is the right-most hop that is not itself a
trusted proxy (everything left of it was written by the client and proves nothing). Otherwise the peer is
the client. Uvicorn must not rewrite the peer itself (``--no-proxy-headers``; ``podium demo`` and ``podium
run`` see to it), or the peer seen here would already be a forwarded, unverified value.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from litestar.connection import ASGIConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
_MAX_LENGTH = 64


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``"10.0.0.1, 10.1.0.0/16"`` items as networks; raises ValueError for one that is not an address."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _is_trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve(peer: str | None, forwarded_for: Sequence[str], trusted_proxies: tuple[str, ...]) -> str:
    """The client address, given the direct peer, the ``X-Forwarded-For`` header values and the trusted proxies."""
    if not peer:
        return UNKNOWN
    networks = _networks(trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop[:_MAX_LENGTH]
    # Every hop is one of our proxies (or none was named): the left-most is the nearest we know to the client.
    return hops[0][:_MAX_LENGTH] if hops else peer


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client address of a request, by the rules above and the app's ``trusted_proxies`` setting."""
    settings = connection.app.state.get("settings")
    trusted: tuple[str, ...] = settings.trusted_proxies if settings is not None else ()
    peer = connection.client.host if connection.client else None
    return resolve(peer, connection.headers.getall("x-forwarded-for", []), trusted)
