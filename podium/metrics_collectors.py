"""What /metrics reports beside Litestar's request counters: the database pool's use and the job queue.

The pool figures are gauges kept up to date by the pool's own checkout and checkin events, so with several
workers (``PROMETHEUS_MULTIPROC_DIR``) each worker's figures are in its file and a scrape of any worker sums
them all ("livesum"); a figure read from the pool at scrape time would be only the answering worker's. The
queue lives in the database (``procrastinate_jobs``, both engines), so its figures are counted at scrape time
by whichever worker answers: they are the same for every worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import QueuePool

POOL_IN_USE = Gauge(
    "podium_db_pool_in_use",
    "Database connections checked out of the web workers' pools now (above the pool size: overflow).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "podium_db_pool_size",
    "Connections the web workers' pools keep open (PODIUM_DB_POOL_SIZE per worker on PostgreSQL).",
    multiprocess_mode="livesum",
)

# Succeeded jobs are deleted (podium/jobs/runtime.py), so only todo, doing, failed, cancelled and aborted show.
_JOB_COUNTS = text(
    "SELECT CAST(status AS VARCHAR) AS status, task_name, count(*) AS jobs, "
    "sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS tried FROM procrastinate_jobs GROUP BY status, task_name"
)


def install_pool_metrics(engine: AsyncEngine) -> None:
    """Keep the pool gauges current for ``engine`` (a QueuePool; SQLite's in-memory pools have no size)."""
    sync_engine = engine.sync_engine
    pool = sync_engine.pool
    if not isinstance(pool, QueuePool):
        return
    POOL_SIZE.set(pool.size())

    def checked_out(*_: Any) -> None:
        current = sync_engine.pool  # replaced after an outage (podium/db_outage.py); events carry over
        if isinstance(current, QueuePool):
            POOL_IN_USE.set(current.checkedout())

    def checked_in(*_: Any) -> None:
        # The checkin event comes before the pool takes the connection back, so it still counts as out.
        current = sync_engine.pool
        if isinstance(current, QueuePool):
            POOL_IN_USE.set(max(0, current.checkedout() - 1))

    event.listen(sync_engine, "checkout", checked_out)
    event.listen(sync_engine, "checkin", checked_in)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Jobs per (state, task), and how many of the waiting ones have failed at least once already."""

    jobs: dict[tuple[str, str], int] = field(default_factory=dict)
    retrying: dict[str, int] = field(default_factory=dict)


async def read_queue_counts(db_session: AsyncSession) -> QueueCounts:
    counts = QueueCounts()
    for row in (await db_session.execute(_JOB_COUNTS)).all():
        counts.jobs[(row.status, row.task_name)] = int(row.jobs)
        if row.status == "todo" and row.tried:
            counts.retrying[row.task_name] = int(row.tried)
    return counts


class QueueCollector(Collector):
    """The counts one scrape read (None: the database did not answer, said by ``podium_job_queue_read_ok``)."""

    def __init__(self, counts: QueueCounts | None) -> None:
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "podium_job_queue_read_ok", "1 if this scrape could count the job queue", value=int(self.counts is not None)
        )
        if self.counts is None:
            return
        jobs = self.counts.jobs
        yield GaugeMetricFamily(
            "podium_job_queue_depth",
            "Jobs waiting to run (state todo), due now or later (a retry's wait)",
            value=sum(n for (state, _), n in jobs.items() if state == "todo"),
        )
        yield GaugeMetricFamily(
            "podium_job_failures",
            "Jobs that failed on their last try and stay failed (retry them at /organizer/jobs)",
            value=sum(n for (state, _), n in jobs.items() if state == "failed"),
        )
        retrying = GaugeMetricFamily(
            "podium_jobs_retrying", "Waiting jobs that failed before and will be tried again", labels=["task"]
        )
        for task, n in sorted(self.counts.retrying.items()):
            retrying.add_metric([task], n)
        yield retrying
        by_state = GaugeMetricFamily(
            "podium_jobs", "Jobs kept in the queue, by state and task", labels=["state", "task"]
        )
        for (state, task), n in sorted(jobs.items()):
            by_state.add_metric([state, task], n)
        yield by_state
