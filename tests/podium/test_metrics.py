"""GET /metrics: only with the metrics token, counting requests by route template, the pool's connections in use
and the job queue as the database holds it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from podium.auth.middleware import SESSION_MAKER_STATE_KEY
from podium.jobs.runtime import create_job_app, defer_job, run_due_jobs
from podium.main.app import create_app
from podium.main.unit_of_work import session_maker
from podium.settings import Settings
from tests.asgi_client import Client, app_client
from tests.podium.job_fixtures import ALWAYS_FAILS

TOKEN = "metrics-token-" + "m" * 32
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def metrics_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_token=TOKEN)


@pytest.fixture
def metrics_app(metrics_settings: Settings) -> Litestar:
    return create_app(metrics_settings)


@pytest.fixture
async def scraped(metrics_app: Litestar) -> AsyncIterator[Client]:
    async with app_client(metrics_app) as test_client:
        yield test_client


async def scrape(client: Client) -> Samples:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_to(samples: Samples, path: str, status: str = "200") -> float:
    labels = frozenset({"app_name": "podium", "method": "GET", "path": path, "status_code": status}.items())
    return samples.get(("podium_requests_total", labels), 0.0)


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_metrics_are_not_served_without_a_metrics_token(client: Client) -> None:
    response = await client.get("/metrics", headers=SCRAPER)

    assert response.status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-" + "w" * 32, f"Basic {TOKEN}"])
async def test_metrics_refuse_a_scraper_without_the_token(scraped: Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = await scraped.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == 'Bearer realm="podium-metrics"'


async def test_metrics_count_each_request_with_its_latency(scraped: Client) -> None:
    before = await scrape(scraped)

    for _ in range(3):
        assert (await scraped.get("/health")).status_code == 200
    after = await scrape(scraped)

    assert requests_to(after, "/health") - requests_to(before, "/health") == 3
    duration = frozenset({"app_name": "podium", "method": "GET", "path": "/health", "status_code": "200"}.items())
    counted = after[("podium_request_duration_seconds_count", duration)]
    assert counted - before.get(("podium_request_duration_seconds_count", duration), 0.0) == 3
    assert after[("podium_request_duration_seconds_sum", duration)] > 0


async def test_metrics_name_a_path_by_its_route_never_its_secret(scraped: Client) -> None:
    feed = "feed-secret-" + "s" * 30

    await scraped.get(f"/api/agenda/{feed}.ics")
    response = await scraped.get("/metrics", headers=SCRAPER)

    assert 'path="/api/agenda/{file}"' in response.text
    assert feed not in response.text


async def test_pool_gauge_counts_the_connections_in_use(metrics_app: Litestar, scraped: Client) -> None:
    engine = metrics_app.state[SESSION_MAKER_STATE_KEY].kw["bind"]

    async with engine.connect() as held:
        await held.exec_driver_sql("SELECT 1")
        during = await scrape(scraped)
    after = await scrape(scraped)

    assert value(during, "podium_db_pool_in_use") == 1
    assert value(after, "podium_db_pool_in_use") == 0
    assert value(after, "podium_db_pool_size") == engine.sync_engine.pool.size()


async def test_queue_gauges_count_waiting_and_failed_jobs(metrics_settings: Settings, scraped: Client) -> None:
    queue = create_job_app(metrics_settings, periodic=False, pool_size=1)
    async with queue.open_async():
        await defer_job(queue, ALWAYS_FAILS, reason="fails for good")
        await run_due_jobs(dataclasses.replace(metrics_settings, job_retries=0), session_maker)
        await defer_job(queue, ALWAYS_FAILS, reason="fails once, then waits an hour")
        await run_due_jobs(
            dataclasses.replace(metrics_settings, job_retries=3, job_retry_backoff_seconds=3600), session_maker
        )
        await defer_job(queue, ALWAYS_FAILS, reason="not run yet")

    samples = await scrape(scraped)

    assert value(samples, "podium_job_queue_read_ok") == 1
    assert value(samples, "podium_job_queue_depth") == 2
    assert value(samples, "podium_job_failures") == 1
    assert value(samples, "podium_jobs_retrying", task=ALWAYS_FAILS) == 1
    assert value(samples, "podium_jobs", state="todo", task=ALWAYS_FAILS) == 2
    assert value(samples, "podium_jobs", state="failed", task=ALWAYS_FAILS) == 1


async def test_metrics_count_a_middleware_refusal_with_its_status(scraped: Client) -> None:
    before = await scrape(scraped)

    refused = await scraped.post(
        "/api/auth/logout", headers={"Cookie": "podium_session=x", "Origin": "https://elsewhere.example"}
    )
    after = await scrape(scraped)

    labels = frozenset(
        {"app_name": "podium", "method": "POST", "path": "/api/auth/logout", "status_code": "403"}.items()
    )
    assert refused.status_code == 403
    assert after[("podium_requests_total", labels)] - before.get(("podium_requests_total", labels), 0.0) == 1
