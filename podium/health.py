"""Liveness with a real database round trip, for load balancers and humans."""

from __future__ import annotations

import functools
import time
from importlib.metadata import PackageNotFoundError, version

import asyncpg
import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from podium.errors import DATABASE_RETRY_AFTER_SECONDS


class DatabaseHealth(msgspec.Struct):
    status: str
    dialect: str
    latency_ms: float | None = None
    error: str | None = None


class Health(msgspec.Struct):
    status: str
    app: str
    version: str
    database: DatabaseHealth


@functools.cache
def app_version() -> str:
    """Read once: the installed package's metadata is parsed from disk on each lookup (~1 ms), and load
    balancers ask for /health every few seconds on every worker."""
    try:
        return version("podium")
    except PackageNotFoundError:
        return "unknown"


@get("/health", operation_id="health", tags=["health"], cache_control=None)
async def health(db_session: NamedDependency[AsyncSession]) -> Response[Health]:
    """200 when the app can query its database, 503 (with Retry-After) when it cannot."""
    dialect = db_session.bind.dialect.name if db_session.bind else "unknown"
    started = time.perf_counter()
    try:
        await db_session.execute(text("select 1"))
        database = DatabaseHealth(
            status="ok", dialect=dialect, latency_ms=round((time.perf_counter() - started) * 1000, 2)
        )
    except (SQLAlchemyError, OSError, asyncpg.PostgresError) as exc:
        database = DatabaseHealth(status="error", dialect=dialect, error=type(exc).__name__)
    if database.status == "ok":
        return Response(Health(status="ok", app="podium", version=app_version(), database=database))
    body = Health(status="degraded", app="podium", version=app_version(), database=database)
    return Response(body, status_code=503, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})
