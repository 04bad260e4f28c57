"""Secret links: an order's link carries an HMAC of its id and a version, so nothing secret is stored,
a replayed request can give the same link back, and bumping the version revokes old links. Waitlist
places get the same kind of link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from uuid import UUID

# What a link secret can look like: unpadded base64url, at most 128 characters (ours are 43; agenda feed
# tokens 43 too). Anything else (a non-ASCII character, a space, a megabyte) is simply a wrong secret.
LINK_SECRET_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
# What the API spec says of a secret parameter: its shape, for clients and fuzzers. The server doesn't refuse
# other shapes as invalid input: any secret that doesn't open the thing gets the same 404 (``link_secret_matches``).
LINK_SECRET_SCHEMA = {"pattern": LINK_SECRET_PATTERN}
_LINK_SECRET = re.compile(LINK_SECRET_PATTERN)


def is_link_secret(candidate: str | None) -> bool:
    """Whether ``candidate`` has the shape of a link secret at all, checked before any decoding or lookup."""
    return bool(candidate) and _LINK_SECRET.fullmatch(candidate or "") is not None


def link_secret_matches(expected: str, candidate: str | None) -> bool:
    """Constant-time check of a secret from a link; every secret link compares through here.

    ``hmac.compare_digest`` raises on ``str`` with non-ASCII characters (``?secret=%C3%A9`` was a 500), so
    the shape is checked first and the comparison is of bytes: a malformed secret is just a wrong one.
    """
    if not is_link_secret(candidate):
        return False
    assert candidate is not None
    return hmac.compare_digest(expected.encode(), candidate.encode())


def order_secret(secret_key: str, order_id: UUID, version: int) -> str:
    mac = hmac.new(secret_key.encode(), f"order:{order_id}:{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def order_url(base_url: str, secret_key: str, order_id: UUID, version: int) -> str:
    return f"{base_url}/orders/{order_id}?secret={order_secret(secret_key, order_id, version)}"


def waitlist_token(secret_key: str, entry_id: UUID) -> str:
    mac = hmac.new(secret_key.encode(), f"waitlist:{entry_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def waitlist_url(base_url: str, secret_key: str, event_slug: str, entry_id: UUID) -> str:
    return f"{base_url}/events/{event_slug}/waitlist/{entry_id}?token={waitlist_token(secret_key, entry_id)}"


def registration_secret(secret_key: str, registration_id: UUID, version: int) -> str:
    """The attendee's own link (agenda, badge): a transfer bumps the version, so the previous holder's stops."""
    mac = hmac.new(secret_key.encode(), f"registration:{registration_id}:{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def registration_url(base_url: str, secret_key: str, registration_id: UUID, version: int) -> str:
    secret = registration_secret(secret_key, registration_id, version)
    return f"{base_url}/registrations/{registration_id}?secret={secret}"
