"""Check-in helpers: an event with its checkpoints synced, badge tokens fetched as staff, scans posted."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from typing import Any

import pytest

from podium.settings import Settings
from tests.asgi_client import Client
from tests.badges.factories import BadgeEvent, build_badge_event

_sequence = itertools.count(1)


def new_device() -> str:
    return f"device-{secrets.token_hex(4)}"


def scan(
    token: str | None,
    checkpoint_id: str,
    *,
    device: str | None = None,
    seq: int | None = None,
    at: dt.datetime | None = None,
    direction: str = "in",
    serial: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "checkpoint_id": checkpoint_id,
        "device_id": device or new_device(),
        "device_seq": next(_sequence) if seq is None else seq,
        "device_time": (at or dt.datetime.now(dt.UTC)).isoformat(),
        "direction": direction,
    }
    if token is not None:
        body["token"] = token
    if serial is not None:
        body["serial"] = serial
    return body


async def post_scans(client: Client, headers: dict[str, str], *scans: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.post("/api/checkins", json={"scans": list(scans)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def badge_token(client: Client, headers: dict[str, str], registration_id: object) -> str:
    response = await client.get(f"/api/registrations/{registration_id}/badge", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["token"]


async def checkpoints_of(client: Client, organizer: dict[str, str], slug: str) -> dict[str, str]:
    """Sync the event's checkpoints; their ids by code."""
    response = await client.post(f"/api/events/{slug}/checkpoints/sync", headers=organizer)
    assert response.status_code == 200, response.text
    return {c["code"]: c["id"] for c in response.json()}


@pytest.fixture
async def badge_event(settings: Settings) -> BadgeEvent:
    return await build_badge_event(settings)
