"""The SQLite job connector's queries beyond deferring and running a job: cancelling, retrying, listing and
pruning jobs, and the workers' registry and heartbeats (see ``podium.jobs.sqlite_connector``). Each query is one
short transaction of its own, as there."""

# ruff: noqa: S608  (the SQL built here interpolates only our own column lists and numbered placeholders)
from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import Any

from procrastinate import exceptions
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from podium.db import WRITE_INTENT

JOB_COLUMNS = (
    "id, queue_name, task_name, priority, lock, queueing_lock, args, status, scheduled_at, attempts, "
    "abort_requested, worker_id"
)
FINAL_STATES = ("succeeded", "failed", "cancelled", "aborted")


def epoch(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def job_row(row: Any) -> dict[str, Any]:
    """A row as procrastinate's queries return it: JSON arguments decoded, times as aware datetimes."""
    data = dict(row._mapping)
    data["args"] = json.loads(data["args"]) if isinstance(data["args"], str) else data["args"]
    scheduled = data.get("scheduled_at")
    data["scheduled_at"] = None if scheduled is None else dt.datetime.fromtimestamp(scheduled, dt.UTC)
    data["abort_requested"] = bool(data.get("abort_requested"))
    return data


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


class TransactionSource:
    """What the queries need of the connector: its engine, opened on first use."""

    engine: AsyncEngine | None

    def _connect(self, write: bool) -> _Transaction:
        assert self.engine is not None
        return _Transaction(self.engine, write)


class JobAdminQueries(TransactionSource):
    """procrastinate's named queries for managing jobs and workers, in SQLite (named with the suffix of how they
    are called, as the connector's)."""

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
                    "at": epoch(retry_at),
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
            return [job_row(row) for row in rows]

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
            return [job_row(row) for row in rows]

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
