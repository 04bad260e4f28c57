"""Wake-ups after commit: a service that wrote work for a job (an outbox row, say) asks for the job to run soon
with ``kick_after_commit``; the job is queued with the transaction, never for one that rolls back.

The rows are the durable part, written in the caller's transaction; the job is the wake-up, so one lost in a
crash costs a delay until the job's periodic run, never the work.

- SQLite: the job's row is inserted in the caller's transaction itself (``before_commit``), which already holds
  the database's one write lock, and the commit wakes this process's worker. A second connection queueing the
  job after the commit raced the next requests for that lock and could stall them.
- PostgreSQL: procrastinate's own connection (psycopg) can't join our SQLAlchemy transaction, and a row inserted
  in it would make every transaction that mails wait on the one before over the queueing lock; so the job is
  deferred right after the commit, off the request's path, through the web process's job app.

The hooks that do it (``LISTENERS``) are session events on the unit of work's makers, attached by ``podium.db``
when it builds one; importing this module installs nothing. A session from elsewhere would drop the wake-up
without a word, so ``kick_after_commit`` refuses it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from podium.db import TRANSACTION_MODE, runs_hook
from podium.jobs.registry import JOBS

logger = logging.getLogger("podium.jobs")

KICKS_KEY = "podium.jobs.kicks"
QUEUED_KEY = "podium.jobs.queued"
Kicker = Callable[[set[str]], None]
# The web process's job app, per database engine (podium/main/app.py registers it); sessions on other engines
# (the CLI's, tests' own) wake no worker after commit (on SQLite their jobs are queued all the same).
_KICKERS: WeakKeyDictionary[Engine, Kicker] = WeakKeyDictionary()
# At most one waiting job per queueing lock, as procrastinate's own defer; a job without one is always added.
_SQLITE_QUEUE_JOB = text(
    "INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, status, attempts,"
    " abort_requested) VALUES (:queue, :task, 0, :lock, :queueing_lock, :args, 'todo', 0, 0)"
    " ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING"
)


def kick_after_commit(db_session: Any, job_name: str) -> None:
    """Queue ``job_name`` (with no arguments) with this session's transaction. Works from flush hooks."""
    session: Session = getattr(db_session, "sync_session", db_session)
    if not runs_hook(session, "after_commit", _after_commit):
        raise RuntimeError(f"{job_name} can't be queued: the session is not from podium.db's session makers")
    session.info.setdefault(KICKS_KEY, set()).add(job_name)


def register_kicker(engine: Any, kicker: Kicker) -> None:
    _KICKERS[getattr(engine, "sync_engine", engine)] = kicker


def unregister_kicker(engine: Any) -> None:
    _KICKERS.pop(getattr(engine, "sync_engine", engine), None)


def _engine_of(session: Session) -> Engine | None:
    try:
        bind = session.get_bind()
    except Exception:  # an unbound session: nothing to queue through
        return None
    return bind.engine


def _queue_in_transaction(session: Session, *_: Any) -> None:
    """SQLite: insert the rows of the jobs asked for so far into the transaction; runs before the commit and
    after every flush, so a kick from a flush hook (program changes) is queued too."""
    names = session.info.get(KICKS_KEY, set()) - session.info.get(QUEUED_KEY, set())
    engine = _engine_of(session) if names else None
    if not names or engine is None or engine.dialect.name != "sqlite":
        return
    connection = session.connection()
    if connection.info.get(TRANSACTION_MODE) == "DEFERRED":
        return  # a read transaction may not write; the job's periodic run picks the work up
    for name in sorted(names):
        spec = JOBS.get(name)
        if spec is None:
            logger.warning("no job is named %s", name)
            continue
        connection.execute(
            _SQLITE_QUEUE_JOB,
            {"queue": spec.queue, "task": name, "lock": spec.lock, "queueing_lock": spec.queueing_lock, "args": "{}"},
        )
    session.info.setdefault(QUEUED_KEY, set()).update(names)


def _after_commit(session: Session) -> None:
    names = session.info.pop(KICKS_KEY, None)
    session.info.pop(QUEUED_KEY, None)
    engine = _engine_of(session) if names else None
    kicker = _KICKERS.get(engine) if engine is not None else None
    if names and kicker is not None:
        kicker(names)


def _after_rollback(session: Session) -> None:
    session.info.pop(KICKS_KEY, None)
    session.info.pop(QUEUED_KEY, None)


LISTENERS = (
    ("before_commit", _queue_in_transaction),
    ("after_flush_postexec", _queue_in_transaction),
    ("after_commit", _after_commit),
    ("after_rollback", _after_rollback),
)
