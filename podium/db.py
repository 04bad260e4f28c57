"""Engine, declarative base, the unit of work's session makers and the Litestar plugin config; one place decides
how we talk to the database.

What must follow a flush or a commit runs as session events on *our* session makers, never on SQLAlchemy's global
``Session`` class, and nothing is installed by importing a module. ``session_maker`` and ``sqlalchemy_config``
are the two places a maker is built, and both attach the kernel's hooks (``install_kernel_hooks``): jobs queued
with the transaction (``podium.jobs.kicks``) and audit entries' event ids (``podium.audit``). A domain's hook is
attached by the composition root to the makers it builds (``podium.main.unit_of_work``). A session opened any
other way (``AsyncSession(engine)``) runs none of them: ``kick_after_commit`` and an audit entry that needs its
event filled refuse such a session rather than lose the work.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sqlite3
import warnings
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any
from weakref import WeakKeyDictionary

from advanced_alchemy.base import UUIDAuditBase, orm_registry
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from podium.db_outage import install_outage_hooks
from podium.db_pool import FairAsyncQueuePool
from podium.errors import DomainError
from podium.settings import Settings

# Every model inherits UUID primary keys and UTC created_at/updated_at from advanced-alchemy.
Base = UUIDAuditBase
metadata = orm_registry.metadata

# How much longer than PostgreSQL's statement_timeout the worker waits for an answer before it gives the
# connection up as lost (the server's own cancellation comes back well within it).
NO_ANSWER_GRACE_SECONDS = 1.0
# SQLite's busy timeout for "no statement timeout" (its limit is a C int of milliseconds).
SQLITE_LONGEST_WAIT_SECONDS = 24 * 3600
logger = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the one writer (who queue under the busy timeout, see ``engine_options``)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _ResettingCursor(sqlite3.Cursor):
    """A cursor that lets go of a statement that failed at once, in the thread that ran it.

    SQLAlchemy's aiosqlite adapter leaves the cursor of a failed statement (a duplicate key, a lock timeout) open
    in the traceback; SQLAlchemy's errors sit in reference cycles, so the cyclic GC frees it later, on the event
    loop's thread, and freeing resets its statement, which needs the connection's mutex. When that connection is
    back in the pool and its own thread is waiting out the busy timeout for the write lock (holding the mutex all
    along), the whole event loop stops until the timeout ends, the writer holding the lock with it: every writer
    in the process stalled for the 15 s and answered 503 (racing webhooks, whose copies fail on the event id)."""

    def execute(self, sql: str, parameters: Any = (), /) -> _ResettingCursor:
        try:
            return super().execute(sql, parameters)
        except BaseException:
            self.close()
            raise

    def executemany(self, sql: str, parameters: Any, /) -> _ResettingCursor:
        try:
            return super().executemany(sql, parameters)
        except BaseException:
            self.close()
            raise


class _SQLiteConnection(sqlite3.Connection):
    """sqlite3's connection, handing out ``_ResettingCursor`` (aiosqlite opens it with ``factory=``)."""

    def cursor(self, factory: Any = _ResettingCursor) -> Any:
        return super().cursor(factory)


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    """Let SQLAlchemy's "begin" hook issue BEGIN itself (pysqlite would defer it to the first write)."""
    dbapi_connection.isolation_level = None


WRITE_INTENT = "podium_write_intent"
TRANSACTION_MODE = "podium_sqlite_transaction_mode"
_TRANSACTION_MODE = TRANSACTION_MODE
# Whether transactions begun in this context may write. Requests that change state (every method but GET, HEAD
# and OPTIONS), jobs and the CLI may; reads say so (``WriteIntentMiddleware``), and a read that turns out to
# write asks for the lock with ``begin_write``.
_may_write: ContextVar[bool] = ContextVar("podium_may_write", default=True)
_WRITE_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class DeferredWriteWarning(RuntimeWarning):
    """A write ran in a transaction that began as a read: under contention SQLite refuses its upgrade at once
    ("database is locked", no busy wait). Tests turn this warning into an error, so each such path is found."""


@contextmanager
def write_intent(may_write: bool) -> Iterator[None]:
    """Declare whether the transactions begun inside may write (SQLite: BEGIN IMMEDIATE or DEFERRED)."""
    token = _may_write.set(may_write)
    try:
        yield
    finally:
        _may_write.reset(token)


def _sqlite_begin(conn: Any) -> None:
    """BEGIN IMMEDIATE for every transaction that may write, so it queues for SQLite's one write lock under
    busy_timeout from its start; a transaction that began as a read and later writes would be refused its
    upgrade at once whenever another writer holds the lock. Reads begin DEFERRED and run beside the writer (WAL).
    An explicit ``WRITE_INTENT`` execution option (``begin_write``) wins over the context's default."""
    explicit = conn.get_execution_options().get(WRITE_INTENT)
    mode = "IMMEDIATE" if (explicit if explicit is not None else _may_write.get()) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")
    conn.info[_TRANSACTION_MODE] = mode


def _sqlite_warn_deferred_write(
    conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    if conn.info.get(_TRANSACTION_MODE) == "DEFERRED" and conn.in_transaction() and _WRITE_STATEMENT.match(statement):
        warnings.warn(
            f"a write in a transaction that began as a read (call begin_write first): {statement[:80]}",
            DeferredWriteWarning,
            stacklevel=2,
        )


class WriteIntentMiddleware:
    """ASGI middleware: requests with a safe method (GET, HEAD, OPTIONS) begin their transactions as reads."""

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        with write_intent(scope["method"] not in self.SAFE_METHODS):
            await self.app(scope, receive, send)


async def begin_write(db_session: AsyncSession) -> None:
    """Start a transaction that will write to contested rows (capacities, counters).

    On SQLite this takes the write lock up front (BEGIN IMMEDIATE), so the transaction waits its turn
    under busy_timeout instead of failing with "database is locked" when it upgrades from reader to
    writer. A read-only transaction already open (say, the event was looked up first) is ended first.
    PostgreSQL needs nothing: its row locks and conditional UPDATEs do the work.
    """
    bind = db_session.bind
    if bind is None or bind.dialect.name != "sqlite":
        return
    if db_session.in_transaction():
        if (await db_session.connection()).info.get(_TRANSACTION_MODE) == "IMMEDIATE":
            return  # a changing request's transaction holds the write lock from its start already
        if db_session.new or db_session.dirty or db_session.deleted:
            raise RuntimeError("begin_write() must come before the transaction's first write")
        await db_session.commit()
    await db_session.connection(execution_options={WRITE_INTENT: True})


async def end_reads(db_session: AsyncSession) -> None:
    """End a transaction that has only read, before a long step that needs no database (drawing a PDF), so the
    step holds no lock: on SQLite a changing request's transaction holds the one write lock from its start, and
    on PostgreSQL an open transaction would sit idle holding its snapshot."""
    if not db_session.in_transaction():
        return
    if db_session.new or db_session.dirty or db_session.deleted:
        raise RuntimeError("end_reads() would commit pending writes")
    await db_session.commit()


@asynccontextmanager
async def write_apart(db_session: AsyncSession) -> AsyncIterator[None]:
    """Writes inside go in a transaction of their own, committed when the block ends (dropped if it raises).

    For the record of something already done outside the database, such as the id of a payment just made at a
    provider: it must be stored whatever the request does next (a page that fails to render must not leave a
    payment the order doesn't name, to be made again on reload). The session's read transaction is ended
    first (``end_reads``, which refuses a caller's unflushed changes rather than commit them; the caller must
    not have flushed any either); the block holds the write lock on SQLite from its start (``begin_write``)."""
    await end_reads(db_session)
    await begin_write(db_session)
    try:
        yield
    except BaseException:
        await db_session.rollback()
        raise
    await db_session.commit()


async def serialize_on(db_session: AsyncSession, key: str) -> None:
    """Make this transaction wait for any other that serializes on ``key``, until one of them commits.

    PostgreSQL: a transaction-scoped advisory lock on the key's 64-bit hash (``pg_advisory_xact_lock``), so
    workers on several machines queue for it too; a hash collision only makes two keys share a queue. SQLite
    needs nothing: a changing request's transaction holds the one write lock from its start (``BEGIN
    IMMEDIATE``), which serializes it with every other writer already.
    """
    bind = db_session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return
    await db_session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


async def begin_autocommit(db_session: AsyncSession) -> bool:
    """PostgreSQL: the session's next statements each commit on their own (no BEGIN and COMMIT round trips).

    For a verb whose one write is atomic by itself; ``commit()`` hands the connection back, and the next
    statement starts an ordinary transaction again. False (and nothing changes) on SQLite.
    """
    bind = db_session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return False
    if db_session.in_transaction():
        await db_session.commit()
    await db_session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


@asynccontextmanager
async def savepoint(db_session: AsyncSession, on_integrity_error: DomainError) -> AsyncIterator[None]:
    """Changes made inside are written at the end in a savepoint, so a unique or foreign-key rule they break
    becomes the service's domain error and undoes only them: the transaction stays usable (a page can render the
    form again) and is still its owner's to commit or drop. Open it before the first change: SQLAlchemy writes
    what is pending before it sets the savepoint."""
    try:
        async with db_session.begin_nested():
            yield
    except IntegrityError as exc:
        raise on_integrity_error from exc


def engine_options(settings: Settings) -> dict[str, Any]:
    """Pool and timeouts, so a database that is down or not answering costs a request seconds, not minutes.

    SQLite: a statement waits for the write lock up to the statement timeout (busy timeout), so writers queue
    instead of failing. PostgreSQL: the server cancels a statement past ``statement_timeout``, and asyncpg's
    ``command_timeout`` (a second later) ends the wait for a server or link that answers nothing; that wait, in
    turn, is what SQLAlchemy and ``pooled()`` take as a lost connection (``podium/db_outage.py``). No pre-ping:
    it would cost a round trip on every checkout, and dead connections are found and replaced without one.
    """
    statement = settings.db_statement_timeout
    if settings.is_sqlite:
        busy = statement if statement > 0 else SQLITE_LONGEST_WAIT_SECONDS
        options: dict[str, Any] = {"connect_args": {"timeout": busy, "factory": _SQLiteConnection}}
        if make_url(settings.database_url).database not in (None, "", ":memory:"):
            options["pool_timeout"] = settings.db_pool_timeout  # a file gets a queue pool, memory one connection
        return options
    connect_args: dict[str, Any] = {"timeout": settings.db_connect_timeout}
    if statement > 0:
        connect_args["command_timeout"] = statement + NO_ANSWER_GRACE_SECONDS
        connect_args["server_settings"] = {"statement_timeout": str(max(1, round(statement * 1000)))}
    return {
        "poolclass": FairAsyncQueuePool,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        "pool_pre_ping": False,
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }


async def warm_pool(engine: AsyncEngine, settings: Settings) -> None:
    """Open the pool's connections at startup, not while the first requests wait (PostgreSQL only)."""
    if settings.is_sqlite:
        return
    opened = await asyncio.gather(*(engine.connect() for _ in range(settings.db_pool_size)), return_exceptions=True)
    for connection in opened:
        if isinstance(connection, BaseException):
            # Not fatal: the app starts, /health says 503, and requests connect once the database is back.
            logger.warning("could not open a database connection at startup: %s", connection)
        else:
            await connection.close()


def create_engine(settings: Settings) -> AsyncEngine:
    """A standalone engine for the CLI, migrations and tests (the app gets its own through the plugin)."""
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.database_url)
    engine = create_async_engine(settings.database_url, echo=settings.echo_sql, **engine_options(settings))
    install_engine_hooks(engine, settings)
    return engine


def install_engine_hooks(engine: AsyncEngine, settings: Settings) -> None:
    install_outage_hooks(engine)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "connect", _sqlite_manual_transactions)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", _sqlite_warn_deferred_write)


# A session event's name and its listener, as each hook module lists them (``LISTENERS``).
SessionListener = tuple[str, Callable[..., Any]]
# What ``listen_on`` attached to each maker's own ``Session`` class. Not ``event.contains``: SQLAlchemy knows a
# listener by its target's ``id()`` and keeps that after the target is gone, so a new maker born at a dead one's
# address passed for it and got no listeners (seen in tests, which open a maker for every session).
_ATTACHED: WeakKeyDictionary[type[Session], set[SessionListener]] = WeakKeyDictionary()


# Every session's: no model stores files through advanced-alchemy's FileObject type, so its global flush
# listener, which inspects every new and changed row for them (~0.2 ms of CPU per paid order), is off.
SESSION_INFO: Mapping[str, Any] = MappingProxyType({"enable_file_object_listener": False})


def session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The unit of work for the CLI, jobs, demo data, benchmarks and tests: its sessions run the kernel's hooks."""
    maker = async_sessionmaker(engine, expire_on_commit=False, info=dict(SESSION_INFO))
    install_kernel_hooks(maker)
    return maker


def install_kernel_hooks(maker: Callable[[], AsyncSession]) -> None:
    """Jobs queued with the transaction and woken after its commit (``podium.jobs.kicks``), and audit entries
    recorded without an event given theirs at flush (``podium.audit``)."""
    # Imported here: both modules import this one (Base, utcnow, TRANSACTION_MODE), so it can't import them first.
    from podium import audit
    from podium.jobs import kicks

    listen_on(maker, kicks.LISTENERS)
    listen_on(maker, audit.LISTENERS)


def listen_on(maker: Callable[[], AsyncSession], listeners: Iterable[SessionListener]) -> None:
    """Attach session event listeners to the sessions ``maker`` opens and to no others, once however often called.

    SQLAlchemy takes session events on a sync ``sessionmaker``, which makes a ``Session`` subclass of its own, not
    on an ``async_sessionmaker``: the listeners go on the maker's ``sync_session_class`` (advanced-alchemy's maker
    has one; a plain maker gets one here), so other makers in the process and the global ``Session`` are untouched."""
    if not isinstance(maker, async_sessionmaker):
        raise TypeError(f"session hooks need an async_sessionmaker, not {maker!r}")
    sync = maker.kw.get("sync_session_class")
    if not isinstance(sync, sessionmaker):
        sync = sessionmaker(class_=sync or Session)
        maker.configure(sync_session_class=sync)
    attached = _ATTACHED.setdefault(sync.class_, set())
    for name, listener in listeners:
        if (name, listener) not in attached:
            event.listen(sync.class_, name, listener)
            attached.add((name, listener))


def runs_hook(db_session: AsyncSession | Session, name: str, listener: Callable[..., Any]) -> bool:
    """Whether ``db_session`` came from a maker that ``listen_on`` gave this listener."""
    session = db_session.sync_session if isinstance(db_session, AsyncSession) else db_session
    return (name, listener) in _ATTACHED.get(type(session), ())


def sqlalchemy_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    """Plugin config: one session per request, injected as ``db_session``; its handler commits (services never do).

    The app's sessions come from advanced-alchemy's own maker (with its timestamp and cache listeners), built
    here at once so the kernel's hooks are on it before any request."""
    engine = create_engine(settings)
    config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False, info=dict(SESSION_INFO)),
        engine_config=EngineConfig(echo=settings.echo_sql),
        create_all=False,
        session_dependency_key="db_session",
        # Our own handlers turn every error into problem+json (podium/errors.py).
        set_default_exception_handler=False,
    )
    install_kernel_hooks(config.create_session_maker())
    return config


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
