"""Prometheus metrics at ``GET /metrics``, only when ``PODIUM_METRICS_TOKEN`` is set and only for a scraper that
sends it as a bearer token: request counts and latencies per route template (Litestar's PrometheusMiddleware),
the database pool's use and the job queue (``podium/metrics_collectors.py``).

Without the token there is no route and no middleware, so nothing leaks to the public internet by default and a
deployment that doesn't scrape pays nothing per request. Paths are counted by their route template
(``/api/orders/{order_id:uuid}``), never the path itself: that keeps secret links (the agenda feed's token is in
its path) out of the metrics and their number bounded.

Each web worker counts its own requests. With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, the same for
every worker of a machine, emptied before they start) prometheus_client keeps the counts in files there and any
worker's /metrics adds up all of them; without it, a scrape sees only the worker that answered.
"""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from litestar import Response, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ControllerRouterHandler
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from podium.auth.middleware import bearer_token
from podium.db import end_reads
from podium.metrics_collectors import QueueCollector, QueueCounts, install_pool_metrics, read_queue_counts
from podium.settings import Settings

PATH = "/metrics"
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


async def requires_metrics_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The scraper sends ``Authorization: Bearer $PODIUM_METRICS_TOKEN`` (compared in constant time)."""
    expected = connection.app.state["settings"].metrics_token
    sent = bearer_token(connection) or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise NotAuthorizedException(
            "send the metrics token (PODIUM_METRICS_TOKEN) as a bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="podium-metrics"'},
        )


class _Registry(Collector):
    """Every collector of ``registry``, for a scrape's own registry to include."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


def scrape_registry(queue: QueueCounts | None) -> CollectorRegistry:
    """This scrape's figures: every worker's (multiprocess files) or this process's, and the queue counted now.

    The choice of registry is Litestar's PrometheusController's; the queue is added per scrape."""
    registry = CollectorRegistry()
    if MULTIPROCESS_DIR_VARIABLE in os.environ:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Registry(REGISTRY))
    registry.register(QueueCollector(queue))
    return registry


class MetricsController(PrometheusController):
    """Litestar's metrics route, guarded, with the job queue counted at each scrape."""

    path = PATH
    guards = [requires_metrics_token]
    include_in_schema = False

    @get(cache_control=None)
    async def get(self, db_session: NamedDependency[AsyncSession]) -> Response[bytes]:
        try:
            queue: QueueCounts | None = await read_queue_counts(db_session)
            # The connection goes back to the pool before the figures are read, so a scrape doesn't count itself.
            await end_reads(db_session)
        except (SQLAlchemyError, OSError, asyncpg.PostgresError):
            queue = None  # the request figures are worth having most while the database is down
        body = generate_latest(scrape_registry(queue))
        return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _mark_process_dead() -> None:
    """Drop this worker's live gauges (pool use, requests in progress) from the shared files as it stops."""
    if MULTIPROCESS_DIR_VARIABLE in os.environ:
        multiprocess.mark_process_dead(os.getpid())


@dataclass(frozen=True, slots=True)
class MetricsSetup:
    """What ``create_app`` adds for metrics: nothing at all unless a metrics token is set."""

    route_handlers: list[ControllerRouterHandler] = field(default_factory=list)
    middleware: list[DefineMiddleware] = field(default_factory=list)
    on_startup: list[Any] = field(default_factory=list)
    on_shutdown: list[Any] = field(default_factory=list)


def metrics_setup(settings: Settings, engine: AsyncEngine) -> MetricsSetup:
    """The pool gauges start with the server, not with ``create_app``: every ``podium`` command builds the app
    (Litestar's CLI loads it), and a command's pool size left in the shared files would count as a worker's."""
    if not settings.metrics_token:
        return MetricsSetup()
    config = PrometheusConfig(app_name="podium", prefix="podium", group_path=True)
    return MetricsSetup(
        route_handlers=[MetricsController],
        middleware=[config.middleware],
        on_startup=[functools.partial(install_pool_metrics, engine)],
        on_shutdown=[_mark_process_dead],
    )
