"""GET /health: the app answers and proves it can reach its database."""

from __future__ import annotations

from pathlib import Path

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
