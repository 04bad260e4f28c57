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
import datetime as dt
import json
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from procrastinate import connector, exceptions, manager, schema, sql, types
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from podium.db import WRITE_INTENT, create_engine
from podium.settings import Settings

logger = logging.getLogger(__name__)

JOB_COLUMNS = (
    "id, queue_name, task_name, priority, lock, queueing_lock, args, status, scheduled_at, attempts, "
    "abort_requested, worker_id"
)
FINAL_STATES = ("succeeded", "failed", "cancelled", "aborted")
# Workers listening in this process, per database: a job deferred through any connector here wakes them all.
_LISTENERS: dict[str, list[tuple[connector.Notify, set[str]]]] = {}


def _epoch(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _job_row(row: Any) -> dict[str, Any]:
    """A row as procrastinate's queries return it: JSON arguments decoded, times as aware datetimes."""
    data = dict(row._mapping)
    data["args"] = json.loads(data["args"]) if isinstance(data["args"], str) else data["args"]
    scheduled = data.get("scheduled_at")
    data["scheduled_at"] = None if scheduled is None else dt.datetime.fromtimestamp(scheduled, dt.UTC)
    data["abort_requested"] = bool(data.get("abort_requested"))
    return data


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


class SQLiteConnector(connector.BaseAsyncConnector):
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

    def _connect(self, write: bool) -> Any:
        assert self.engine is not None
        return _Transaction(self.engine, write)

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
                        "scheduled_at": _epoch(job.scheduled_at),
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
        return {"id": None} if row is None else _job_row(row)

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

    async def _cancel_job_one(self, job_id: int, abort: bool, delete_job: bool) -> dict[str, Any]:
        async with self._connect(write=True) as conn:
            found = None
            if delete_job:
                found = (
                    await conn.execute(
                        text("DELETE FROM procrastinate_jobs WHERE id = :id AND status = 'todo' RETURNING id"),
                        {"id": job_id},
                    )
                ).scalar()
            if found is None and abort:
                found = (
                    await conn.execute(
                        text(
                            "UPDATE procrastinate_jobs SET abort_requested = 1, status = CASE status"
                            " WHEN 'todo' THEN 'cancelled' ELSE status END"
                            " WHERE id = :id AND status IN ('todo', 'doing') RETURNING id"
                        ),
                        {"id": job_id},
                    )
                ).scalar()
            elif found is None:
                found = (
                    await conn.execute(
                        text(
                            "UPDATE procrastinate_jobs SET status = 'cancelled' WHERE id = :id AND status = 'todo'"
                            " RETURNING id"
                        ),
                        {"id": job_id},
                    )
                ).scalar()
        return {"id": found}

    async def _get_job_status_one(self, job_id: int) -> dict[str, Any]:
        async with self._connect(write=False) as conn:
            status = (
                await conn.execute(text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})
            ).scalar()
        return {"status": status}

    async def _retry_job_run(
        self,
        job_id: int,
        retry_at: dt.datetime,
        new_priority: int | None,
        new_queue_name: str | None,
        new_lock: str | None,
    ) -> None:
        """Back to 'todo' (a try that raised, or an organizer's retry of a failed job); a running job an abort
        was asked for ends failed instead, as in procrastinate's ``procrastinate_retry_job_v2``."""
        async with self._connect(write=True) as conn:
            current = (
                await conn.execute(
                    text(
                        "SELECT status, abort_requested FROM procrastinate_jobs"
                        " WHERE id = :id AND status IN ('doing', 'failed')"
                    ),
                    {"id": job_id},
                )
            ).first()
            if current is None:
                raise exceptions.ConnectorException(f"job {job_id} was not found in 'doing' or 'failed'")
            if current.status == "doing" and current.abort_requested:
                await conn.execute(
                    text("UPDATE procrastinate_jobs SET status = 'failed', finished_at = :now WHERE id = :id"),
                    {"id": job_id, "now": time.time()},
                )
                return
            await conn.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = 'todo', attempts = attempts + 1, scheduled_at = :at,"
                    " priority = COALESCE(:priority, priority), queue_name = COALESCE(:queue, queue_name),"
                    " lock = COALESCE(:lock, lock), finished_at = NULL WHERE id = :id"
                ),
                {
                    "id": job_id,
                    "at": _epoch(retry_at),
                    "priority": new_priority,
                    "queue": new_queue_name,
                    "lock": new_lock,
                },
            )

    async def _select_stalled_jobs_by_heartbeat_all(
        self, queue: str | None, task_name: str | None, seconds_since_heartbeat: float
    ) -> list[dict[str, Any]]:
        async with self._connect(write=False) as conn:
            rows = await conn.execute(
                text(
                    f"SELECT {', '.join('j.' + c.strip() for c in JOB_COLUMNS.split(','))} FROM procrastinate_jobs j"
                    " LEFT JOIN procrastinate_workers w ON w.id = j.worker_id WHERE j.status = 'doing'"
                    " AND (:queue IS NULL OR j.queue_name = :queue) AND (:task IS NULL OR j.task_name = :task)"
                    " AND (j.worker_id IS NULL OR w.id IS NULL OR w.last_heartbeat < :limit)"
                ),
                {"queue": queue, "task": task_name, "limit": time.time() - seconds_since_heartbeat},
            )
            return [_job_row(row) for row in rows]

    async def _delete_old_jobs_run(self, nb_hours: int, queue: str | None, statuses: Sequence[str]) -> None:
        wanted = [status for status in statuses if status in FINAL_STATES]
        if not wanted:
            return
        names = ", ".join(f":s{i}" for i in range(len(wanted)))
        async with self._connect(write=True) as conn:
            await conn.execute(
                text(
                    f"DELETE FROM procrastinate_jobs WHERE status IN ({names}) AND finished_at < :limit"
                    " AND (:queue IS NULL OR queue_name = :queue)"
                ),
                {"limit": time.time() - nb_hours * 3600, "queue": queue}
                | {f"s{i}": status for i, status in enumerate(wanted)},
            )

    async def _check_connection_one(self) -> dict[str, Any]:
        async with self._connect(write=False) as conn:
            found = (
                await conn.execute(
                    text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'procrastinate_jobs'")
                )
            ).scalar()
        return {"check": found}

    async def _list_jobs_all(
        self,
        id: int | None,
        queue_name: str | None,
        task_name: str | None,
        status: str | None,
        lock: str | None,
        queueing_lock: str | None,
        worker_id: int | None,
    ) -> list[dict[str, Any]]:
        filters = {
            "id": id,
            "queue_name": queue_name,
            "task_name": task_name,
            "status": status,
            "lock": lock,
            "queueing_lock": queueing_lock,
            "worker_id": worker_id,
        }
        where = " AND ".join(f"(:{column} IS NULL OR {column} = :{column})" for column in filters)
        async with self._connect(write=False) as conn:
            rows = await conn.execute(
                text(f"SELECT {JOB_COLUMNS} FROM procrastinate_jobs WHERE {where} ORDER BY id"), filters
            )
            return [_job_row(row) for row in rows]

    async def _list_jobs_to_abort_all(self, queue_name: str | None) -> list[dict[str, Any]]:
        async with self._connect(write=False) as conn:
            rows = await conn.execute(
                text(
                    "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND abort_requested = 1"
                    " AND (:queue IS NULL OR queue_name = :queue)"
                ),
                {"queue": queue_name},
            )
            return [{"id": row.id} for row in rows]

    async def _register_worker_one(self) -> dict[str, Any]:
        async with self._connect(write=True) as conn:
            worker_id = (
                await conn.execute(
                    text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (:now) RETURNING id"),
                    {"now": time.time()},
                )
            ).scalar_one()
        return {"worker_id": worker_id}

    async def _unregister_worker_run(self, worker_id: int) -> None:
        async with self._connect(write=True) as conn:
            await conn.execute(
                text("UPDATE procrastinate_jobs SET worker_id = NULL WHERE worker_id = :id"), {"id": worker_id}
            )
            await conn.execute(text("DELETE FROM procrastinate_workers WHERE id = :id"), {"id": worker_id})

    async def _update_heartbeat_run(self, worker_id: int) -> None:
        async with self._connect(write=True) as conn:
            await conn.execute(
                text("UPDATE procrastinate_workers SET last_heartbeat = :now WHERE id = :id"),
                {"now": time.time(), "id": worker_id},
            )

    async def _prune_stalled_workers_all(self, seconds_since_heartbeat: float) -> list[dict[str, Any]]:
        limit = time.time() - seconds_since_heartbeat
        async with self._connect(write=True) as conn:
            stalled = (
                await conn.execute(
                    text("SELECT id FROM procrastinate_workers WHERE last_heartbeat < :limit"), {"limit": limit}
                )
            ).scalars()
            ids = list(stalled)
            for worker_id in ids:
                await conn.execute(
                    text("UPDATE procrastinate_jobs SET worker_id = NULL WHERE worker_id = :id"), {"id": worker_id}
                )
                await conn.execute(text("DELETE FROM procrastinate_workers WHERE id = :id"), {"id": worker_id})
        return [{"worker_id": worker_id} for worker_id in ids]


class _Transaction:
    """One transaction on its own connection: BEGIN IMMEDIATE when it writes (podium.db), so writers queue."""

    def __init__(self, engine: AsyncEngine, write: bool) -> None:
        self.engine = engine
        self.write = write
        self.connection: AsyncConnection | None = None

    async def __aenter__(self) -> AsyncConnection:
        connection = await self.engine.connect()
        try:
            connection = await connection.execution_options(**{WRITE_INTENT: self.write})
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self.connection = connection
        return connection

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self.connection is not None
        try:
            if exc_type is None:
                await self.connection.commit()
            else:
                await self.connection.rollback()
        finally:
            await self.connection.close()
