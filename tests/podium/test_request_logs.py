"""Every response carries an X-Request-ID (the caller's when well-formed, else a new one), and with
PODIUM_LOG_FORMAT=json every line logged while a request runs is a JSON object carrying that id."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from typing import Any

import pytest
from litestar import get

from podium.auth.guards import requires_organizer
from podium.main.app import create_app
from podium.settings import Settings
from tests.asgi_client import Client, app_client

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("sent", ["4bf92f3577b34da6a3ce929d0e0e4736", "req.2026-12-03:lb-7_x", "0123abcd"])
async def test_a_well_formed_request_id_comes_back(client: Client, sent: str) -> None:
    response = await client.get("/health", headers={"X-Request-ID": sent})

    assert response.headers["x-request-id"] == sent


@pytest.mark.parametrize("sent", ["short", "x" * 129, "has space in it", 'quote"d-request-id', "newline\n-injected-id"])
async def test_a_malformed_request_id_is_replaced(client: Client, sent: str) -> None:
    response = await client.get("/health", headers={"X-Request-ID": sent})

    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_each_request_without_an_id_gets_its_own(client: Client) -> None:
    responses = await asyncio.gather(*(client.get("/health") for _ in range(5)))

    ids = {response.headers["x-request-id"] for response in responses}
    assert len(ids) == 5 and all(GENERATED.fullmatch(i) for i in ids)


async def test_errors_carry_the_request_id_too(client: Client) -> None:
    response = await client.get("/api/users", headers={"X-Request-ID": "refused-request-0001"})

    assert response.status_code == 401
    assert response.headers["x-request-id"] == "refused-request-0001"


@get("/test-only/log-a-line", guards=[requires_organizer], sync_to_thread=False)
def log_a_line() -> str:
    logging.getLogger("podium.test_only").info("a line written during the request", extra={"order": "o-1"})
    return "logged"


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def _lines_logged(capsys: pytest.CaptureFixture[str], message: str) -> list[dict[str, Any]]:
    """The JSON lines with ``message``, once the log's listener thread has written one (it writes after the
    request returned)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not (found := [line for line in seen if line.get("message") == message]):
        if time.monotonic() > deadline:
            raise AssertionError(f"no JSON line with {message!r} in {seen}")
        await asyncio.sleep(0.02)
        seen += _json_lines(capsys.readouterr().err)
    return found


async def test_json_logs_carry_the_request_id(
    settings: Settings, organizer: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(dataclasses.replace(settings, log_format="json"))
    app.register(log_a_line)

    async with app_client(app) as client:
        response = await client.get("/test-only/log-a-line", headers={**organizer, "X-Request-ID": "trace-0042-abc"})
    lines = await _lines_logged(capsys, "a line written during the request")

    assert response.headers["x-request-id"] == "trace-0042-abc"
    assert len(lines) == 1
    line = lines[0]
    assert {k: line[k] for k in ("level", "logger", "request_id", "order")} == {
        "level": "INFO",
        "logger": "podium.test_only",
        "request_id": "trace-0042-abc",
        "order": "o-1",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["time"])


async def test_text_logs_stay_readable_lines(
    settings: Settings, organizer: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(settings)
    app.register(log_a_line)

    async with app_client(app) as client:
        await client.get("/test-only/log-a-line", headers=organizer)
    deadline, text = time.monotonic() + 10, ""
    while "a line written during the request" not in text:
        assert time.monotonic() < deadline, text
        await asyncio.sleep(0.02)
        text += capsys.readouterr().err

    line = next(line for line in text.splitlines() if "a line written during the request" in line)
    assert re.fullmatch(r"\S+ \S+ INFO podium\.test_only: a line written during the request", line)


async def test_a_refusal_by_a_middleware_carries_the_request_id(client: Client) -> None:
    cross_site = {"Origin": "https://elsewhere.example", "X-Request-ID": "cross-site-0001"}

    response = await client.post("/api/auth/logout", headers={"Cookie": "podium_session=x", **cross_site})

    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")
    assert response.headers["x-request-id"] == "cross-site-0001"
