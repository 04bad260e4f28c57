"""GET /health: the app answers and proves it can reach its database."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from podium.settings import Settings
from tests.asgi_client import Client


async def test_health_reports_app_and_live_database(client: Client, settings: Settings) -> None:
    response = await client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["app"] == "podium"
    assert body["database"]["status"] == "ok"
    assert body["database"]["dialect"] == ("sqlite" if settings.is_sqlite else "postgresql")


async def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    from podium.main.app import create_app
    from tests.conftest import make_settings

    broken = make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/none", tmp_path)

    async with AsyncTestClient(app=create_app(broken)) as client:
        response = await client.get("/health")

    assert response.status_code == 503
    assert response.json()["database"]["status"] == "error"


async def test_health_reads_the_package_metadata_once(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Load balancers poll /health on every worker; parsing the installed package's metadata each time cost
    about a millisecond of CPU per poll (more than the rest of the check)."""
    from podium import health

    health.app_version.cache_clear()
    lookups: list[str] = []

    def counted(name: str) -> str:
        lookups.append(name)
        return "9.9.9"

    monkeypatch.setattr(health, "version", counted)
    try:
        versions = [(await client.get("/health")).json()["version"] for _ in range(3)]
    finally:
        health.app_version.cache_clear()

    assert versions == ["9.9.9"] * 3
    assert lookups == ["podium"]
