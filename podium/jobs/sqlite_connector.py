"""procrastinate on SQLite: a connector that keeps its jobs in SQLite tables, for the embedded default.

procrastinate ships connectors for PostgreSQL only; its job manager speaks to a connector through named queries
(``procrastinate/sql/queries.sql``). Like procrastinate's own ``InMemoryConnector`` this one looks each query up
by name and runs our SQLite version of it, over tables with the same names and columns as procrastinate's
(created by the migration ``20261203_jobs_queue``), so jobs survive a restart and the worker, the retries,
the periodic deferrer and the job listing are procrastinate's own on both engines.

Every change is one short ``BEGIN IMMEDIATE`` transaction, so two web processes on one SQLite file never take
the same job: fetching a job is one conditional UPDATE under SQLite's single write lock. There is no LISTEN on
SQLite: a job deferred in this process wakes this process's worker at once; other processes poll.
"""

# ruff: noqa: S608  (the SQL built here interpolates only our own column lists and numbered placeholders)
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from procrastinate import connector, exceptions, manager, schema, sql, types
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from podium.db import create_engine
from podium.jobs.sqlite_job_admin import JOB_COLUMNS, JobAdminQueries, epoch, job_row
from podium.settings import Settings

logger = logging.getLogger(__name__)

# Workers listening in this process, per database: a job deferred through any connector here wakes them all.
_LISTENERS: dict[str, list[tuple[connector.Notify, set[str]]]] = {}


def wake_workers(database_url: str) -> None:
    """Tell this process's workers on ``database_url`` that a job was queued (by a request's own transaction)."""
    payload = json.dumps({"type": "job_inserted", "job_id": 0})
    for on_notification, channels in list(_LISTENERS.get(database_url, [])):
        channel = next(iter(channels), "procrastinate_any_queue_v1")
        # procrastinate types the listener as returning an Awaitable, which create_task doesn't take.
        task = asyncio.ensure_future(on_notification(channel=channel, payload=payload), loop=asyncio.get_running_loop())
        _WAKING.add(task)
        task.add_done_callback(_WAKING.discard)


_WAKING: set[asyncio.Future[None]] = set()


class SQLiteConnector(JobAdminQueries, connector.BaseAsyncConnector):
    """A procrastinate connector over the app's SQLite database (see the module's docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: AsyncEngine | None = None
        self.reverse_queries = {query: name for name, query in sql.queries.items()}
        self.reverse_queries[schema.SchemaManager.get_schema()] = "apply_schema"
        self._listeners = _LISTENERS.setdefault(settings.database_url, [])

    # -- the connector interface -----------------------------------------------------------------------------

    def get_sync_connector(self) -> connector.BaseConnector:
        return self

    async def open_async(self, pool: connector.Pool | None = None) -> None:
        if self.engine is None:
            self.engine = create_engine(self.settings)

    async def close_async(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None

    async def execute_query_async(self, query: str, **arguments: Any) -> None:
        await self._run(query, "run", arguments)

    async def execute_query_one_async(self, query: str, **arguments: Any) -> dict[str, Any]:
        return await self._run(query, "one", arguments)

    async def execute_query_all_async(self, query: str, **arguments: Any) -> list[dict[str, Any]]:
        return await self._run(query, "all", arguments)

    async def listen_notify(self, on_notification: connector.Notify, channels: Iterable[str]) -> None:
        """Wake this process's worker when this process defers a job; runs until cancelled, like LISTEN does."""
        listener = (on_notification, set(channels))
        self._listeners.append(listener)
        try:
            await asyncio.Event().wait()
        finally:
            self._listeners.remove(listener)

    # -- plumbing -------------------------------------------------------------------------------------------

    async def _run(self, query: str, suffix: str, arguments: dict[str, Any]) -> Any:
        name = self.reverse_queries.get(query)
        handler = getattr(self, f"_{name}_{suffix}", None) if name else None
        if handler is None:
            raise exceptions.ConnectorException(f"the SQLite job connector does not run {name or 'this query'}")
        if self.engine is None:
            await self.open_async()
        return await handler(**arguments)

    async def _notify(self, queue_name: str, job_id: int) -> None:
        payload = json.dumps({"type": "job_inserted", "job_id": job_id})
        targets = {"procrastinate_any_queue_v1", f"procrastinate_queue_v1#{queue_name}"}
        for on_notification, channels in list(self._listeners):
            for channel in channels & targets:
                await on_notification(channel=channel, payload=payload)

    # -- the queries (named after procrastinate's, with the suffix of how they are called) --------------------

    async def _insert_jobs(self, conn: AsyncConnection, jobs: Sequence[types.JobToDefer]) -> list[int]:
        ids = []
        for job in jobs:
            try:
                result = await conn.execute(
                    text(
                        "INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args,"
                        " status, scheduled_at, attempts, abort_requested) VALUES (:queue_name, :task_name,"
                        " :priority, :lock, :queueing_lock, :args, 'todo', :scheduled_at, 0, 0) RETURNING id"
                    ),
                    {
                        "queue_name": job.queue_name,
                        "task_name": job.task_name,
                        "priority": job.priority,
                        "lock": job.lock,
                        "queueing_lock": job.queueing_lock,
                        "args": json.dumps(job.args),
                        "scheduled_at": epoch(job.scheduled_at),
                    },
                )
            except IntegrityError as exc:
                if "queueing_lock" in str(exc.orig):
                    raise exceptions.UniqueViolation(
                        constraint_name=manager.QUEUEING_LOCK_CONSTRAINT, queueing_lock=job.queueing_lock
                    ) from exc
                raise
            ids.append(int(result.scalar_one()))
        return ids

    async def _defer_jobs_all(self, jobs: Sequence[types.JobToDefer]) -> list[dict[str, Any]]:
        async with self._connect(write=True) as conn:
            ids = await self._insert_jobs(conn, jobs)
        for job, job_id in zip(jobs, ids, strict=True):
            await self._notify(job.queue_name, job_id)
        return [{"id": job_id} for job_id in ids]

    async def _defer_periodic_job_one(
        self,
        queue: str,
        lock: str | None,
        queueing_lock: str | None,
        task_name: str,
        priority: int,
        periodic_id: str,
        defer_timestamp: int,
        args: types.JSONDict,
    ) -> dict[str, Any]:
        """Defer the job of one tick once, however many workers try: the tick's row is unique."""
        async with self._connect(write=True) as conn:
            claimed = await conn.execute(
                text(
                    "INSERT INTO procrastinate_periodic_defers (task_name, periodic_id, defer_timestamp)"
                    " VALUES (:task_name, :periodic_id, :ts) ON CONFLICT DO NOTHING RETURNING id"
                ),
                {"task_name": task_name, "periodic_id": periodic_id, "ts": defer_timestamp},
            )
            defer_id = claimed.scalar()
            if defer_id is None:
                return {"id": None}
            job = types.JobToDefer(queue, task_name, priority, lock, queueing_lock, args, None)
            (job_id,) = await self._insert_jobs(conn, [job])
            await conn.execute(
                text("UPDATE procrastinate_periodic_defers SET job_id = :job_id WHERE id = :id"),
                {"job_id": job_id, "id": defer_id},
            )
            await conn.execute(
                text(
                    "DELETE FROM procrastinate_periodic_defers WHERE task_name = :task_name"
                    " AND periodic_id = :periodic_id AND defer_timestamp < :ts"
                ),
                {"task_name": task_name, "periodic_id": periodic_id, "ts": defer_timestamp},
            )
        await self._notify(queue, job_id)
        return {"id": job_id}

    async def _fetch_job_one(self, queues: Sequence[str] | None, worker_id: int) -> dict[str, Any]:
        """The first due job, marked as this worker's; a read first, so idle polling never takes the write lock."""
        params: dict[str, Any] = {"now": time.time(), "worker_id": worker_id}
        queue_filter = ""
        if queues is not None:
            names = [f":q{i}" for i in range(len(queues))]
            params |= {f"q{i}": queue for i, queue in enumerate(queues)}
            queue_filter = f" AND j.queue_name IN ({', '.join(names) or 'NULL'})"
        candidate = (
            "SELECT j.id FROM procrastinate_jobs j WHERE j.status = 'todo'"
            " AND (j.scheduled_at IS NULL OR j.scheduled_at <= :now)" + queue_filter + " AND NOT EXISTS ("
            "SELECT 1 FROM procrastinate_jobs o WHERE j.lock IS NOT NULL AND o.lock = j.lock AND (o.status = 'doing'"
            " OR (o.status = 'todo' AND (o.priority > j.priority OR (o.priority = j.priority AND o.id < j.id)))))"
            " ORDER BY j.priority DESC, j.id LIMIT 1"
        )
        async with self._connect(write=False) as conn:
            if (await conn.execute(text(candidate), params)).first() is None:
                return {"id": None}
        async with self._connect(write=True) as conn:
            row = (
                await conn.execute(
                    text(
                        "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker_id"
                        f" WHERE id = ({candidate}) RETURNING {JOB_COLUMNS}"
                    ),
                    params,
                )
            ).first()
        return {"id": None} if row is None else job_row(row)

    async def _finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        if status not in ("succeeded", "failed", "aborted"):
            raise exceptions.ConnectorException(f"job {job_id}: {status!r} is not an end state")
        async with self._connect(write=True) as conn:
            if delete_job:
                result = await conn.execute(
                    text("DELETE FROM procrastinate_jobs WHERE id = :id AND status IN ('todo', 'doing') RETURNING id"),
                    {"id": job_id},
                )
            else:
                result = await conn.execute(
                    text(
                        "UPDATE procrastinate_jobs SET status = :status, abort_requested = 0,"
                        " attempts = attempts + (CASE status WHEN 'doing' THEN 1 ELSE 0 END), finished_at = :now"
                        " WHERE id = :id AND status IN ('todo', 'doing') RETURNING id"
                    ),
                    {"id": job_id, "status": status, "now": time.time()},
                )
            if result.first() is None:
                raise exceptions.ConnectorException(f"job {job_id} was not found in 'todo' or 'doing'")
