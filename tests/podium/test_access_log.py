"""The access log never holds a secret link (podium/access_log.py): uvicorn serves the real app in-process and
its own access lines are read back."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from uvicorn.logging import AccessFormatter

from podium.access_log import ACCESS_LOGGER, REDACTED, redact
from podium.main.app import create_app
from podium.settings import Settings

SECRET = "s3cr3t-Value_that-must-not-leak"


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[str, io.StringIO]]:
    """Podium under uvicorn on a free port, its access log formatted by uvicorn's own formatter into a buffer."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                await serving  # startup failed: its exception is the fixture's
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", lines
    finally:
        server.should_exit = True
        await serving
        logger.removeHandler(handler)


async def test_access_log_redacts_secrets_in_queries_and_feed_paths(served: tuple[str, io.StringIO]) -> None:
    base, lines = served
    requests = [
        f"/api/orders/00000000-0000-0000-0000-000000000001?secret={SECRET}",
        f"/registrations/00000000-0000-0000-0000-000000000001?lang=en&secret={SECRET}&tab=agenda",
        f"/api/agenda/{SECRET}.ics",
        f"/health?token={SECRET}&Registration_Secret={SECRET}",
        "/api/events?q=secret&status=published",
    ]

    async with httpx.AsyncClient(base_url=base) as client:
        for path in requests:
            await client.get(path)

    log = lines.getvalue().splitlines()
    assert len(log) == len(requests)
    assert not [line for line in log if SECRET in line]
    assert f"?secret={REDACTED}" in log[0]
    assert f"?lang=en&secret={REDACTED}&tab=agenda" in log[1]
    assert f"/api/agenda/{REDACTED}.ics" in log[2]
    assert f"?token={REDACTED}&Registration_Secret={REDACTED}" in log[3]
    assert "/api/events?q=secret&status=published" in log[4]  # nothing secret: left alone
    assert all(line.startswith("127.0.0.1:") for line in log)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /orders/1?secret=abc", f"GET /orders/1?secret={REDACTED}"),
        ("/x?access_token=abc#frag", f"/x?access_token={REDACTED}#frag"),
        ("/x?api_key=abc&password=pw&b=2", f"/x?api_key={REDACTED}&password={REDACTED}&b=2"),
        ("/api/agenda/abc_DEF-123.ics?x=1", f"/api/agenda/{REDACTED}.ics?x=1"),
        ("/api/events/annual/program.ics", "/api/events/annual/program.ics"),
        ("/events?status=secret", "/events?status=secret"),
    ],
)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected
