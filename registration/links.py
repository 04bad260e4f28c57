"""Secret links: an order's link carries an HMAC of its id and a version, so nothing secret is stored,
a replayed request can give the same link back, and bumping the version revokes old links. Waitlist
places get the same kind of link."""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID


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
