"""Database outages degrade clearly: with the database cut off, not answering or locked, every request that needs
it answers 503 with Retry-After within the configured timeouts, and the same app serves again once it is back.

The PostgreSQL tests put a TCP proxy (``tests/tcp_proxy.py``) between the app and the server and cut or freeze
it. They need a PostgreSQL server, so they run in the SQLite run of the suite too, against the local one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import anyio.to_thread
import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from podium.db import NO_ANSWER_GRACE_SECONDS, create_engine
from podium.db_outage import is_connection_lost, is_database_unavailable
from podium.db_prebuilt import Prebuilt, pooled
from podium.errors import DATABASE_RETRY_AFTER_SECONDS
from podium.main.app import create_app
from podium.main.cli import migrate
from podium.settings import Settings
from tests.asgi_client import Client, app_client
from tests.conftest import (
    STAFF_PASSWORD,
    _create_pg_database,
    _drop_pg_database,
    _make_user,
    make_settings,
    postgres_base_url,
)
from tests.tcp_proxy import TcpProxy, tcp_proxy

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def with_outage_timeouts(settings: Settings, database_url: str) -> Settings:
    """Small timeouts, so an outage is over in seconds (a connection to a live server opens in well under a second
    even on a loaded machine); the pool is smaller than a burst of requests, so some wait for it."""
    return dataclasses.replace(
        settings,
        database_url=database_url,
        db_connect_timeout=1.0,
        db_statement_timeout=0.5,
        db_pool_timeout=1.0,
        db_pool_size=2,
    )


# Slack for a loaded machine on top of what the timeouts allow.
SLACK_SECONDS = 1.5
# How long SQLAlchemy's asyncpg adapter waits for the server's goodbye when it closes a connection politely.
POLITE_CLOSE_SECONDS = 2.0
HTML = {"Accept": "text/html"}


async def _server_answers(url: str) -> None:
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False), timeout=3)
    await connection.close()


@pytest.fixture(scope="module")
def pg_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A migrated database of this module's own on the suite's PostgreSQL server, or else the local one."""
    server = postgres_base_url() or LOCAL_POSTGRES
    try:
        asyncio.run(_server_answers(server))
    except (OSError, asyncpg.PostgresError) as exc:  # TimeoutError is an OSError
        pytest.skip(f"PostgreSQL is not reachable at {make_url(server).host}:{make_url(server).port} ({exc!r})")
    name = f"podium_outage_{secrets.token_hex(6)}"
    asyncio.run(_create_pg_database(server, name))
    try:
        settings = make_settings(
            make_url(server).set(database=name).render_as_string(False), tmp_path_factory.mktemp("pg-data")
        )
        migrate(settings, "head")
        yield settings
    finally:
        asyncio.run(_drop_pg_database(server, name))


@pytest.fixture(scope="module")
def pg_staff_token(pg_settings: Settings) -> str:
    return asyncio.run(_make_user(pg_settings, "staff", STAFF_PASSWORD))


@dataclasses.dataclass
class Proxied:
    proxy: TcpProxy
    client: Client
    settings: Settings
    staff: dict[str, str]


@contextlib.asynccontextmanager
async def _proxied_app(
    settings: Settings, staff_token: str, statement_timeout: float | None = None
) -> AsyncIterator[Proxied]:
    url = make_url(settings.database_url)
    async with tcp_proxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        proxied_settings = with_outage_timeouts(settings, through_proxy)
        if statement_timeout is not None:
            proxied_settings = dataclasses.replace(proxied_settings, db_statement_timeout=statement_timeout)
        async with app_client(create_app(proxied_settings)) as client:
            yield Proxied(proxy, client, proxied_settings, {"Authorization": f"Bearer {staff_token}"})


@pytest.fixture
async def proxied(pg_settings: Settings, pg_staff_token: str) -> AsyncIterator[Proxied]:
    """The app talking to PostgreSQL through a proxy the test can cut and freeze, with small timeouts."""
    async with _proxied_app(pg_settings, pg_staff_token) as proxied:
        yield proxied


@pytest.fixture
async def proxied_long_statements(pg_settings: Settings, pg_staff_token: str) -> AsyncIterator[Proxied]:
    """The same with a statement timeout (2 s) well past the connect timeout (1 s): a request that waits for an
    answer on an old connection then takes 3 s more than one that only tries to connect, far beyond a loaded
    machine's slack."""
    async with _proxied_app(pg_settings, pg_staff_token, statement_timeout=2.0) as proxied:
        yield proxied


async def _timed(request: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await request
    return time.monotonic() - started, response


def _requests(client: Client, staff: dict[str, str]) -> dict[str, Callable[[], Awaitable[httpx.Response]]]:
    """The public API (an ORM session), a staff API call (its token looked up through ``pooled()``), a page and
    /health."""
    return {
        "api": lambda: client.get("/api/events"),
        "staff api": lambda: client.get("/api/auth/me", headers=staff),
        "page": lambda: client.get("/", headers=HTML),
        "health": lambda: client.get("/health"),
    }


async def _burst(client: Client, staff: dict[str, str]) -> list[tuple[str, float, httpx.Response]]:
    """Each kind of request twice, all at once: more than the pool holds, so some wait for a connection."""
    named = [(name, send) for name, send in _requests(client, staff).items() for _ in range(2)]
    answers = await asyncio.gather(*(_timed(send()) for _, send in named))
    return [(name, elapsed, response) for (name, _), (elapsed, response) in zip(named, answers, strict=True)]


def _assert_unavailable(name: str, response: httpx.Response) -> None:
    assert (name, response.status_code) == (name, 503)
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER_SECONDS)
    if name == "page":
        assert response.headers["content-type"].startswith("text/html")
        assert "We can't reach our database right now" in response.text
    elif name == "health":
        assert response.json()["database"]["status"] == "error"
    else:
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert (body["status"], body["code"], body["retry_after"]) == (
            503,
            "database_unavailable",
            DATABASE_RETRY_AFTER_SECONDS,
        )


async def _assert_serving(proxied: Proxied) -> None:
    """Each kind of request answers, one after another (so none waits on a loaded machine for the small pool)."""
    for name, send in _requests(proxied.client, proxied.staff).items():
        response = await send()
        assert (name, response.status_code) == (name, 200)
        if name == "staff api":
            assert response.json()["role"] == "staff"
        if name == "health":
            assert response.json()["database"]["status"] == "ok"


async def test_requests_while_the_database_is_cut_answer_503_at_once_and_recover(proxied: Proxied) -> None:
    await _assert_serving(proxied)  # the pool holds live connections to the proxy now

    await proxied.proxy.cut()
    answers = await _burst(proxied.client, proxied.staff)

    for name, elapsed, response in answers:
        _assert_unavailable(name, response)
        assert (name, elapsed < SLACK_SECONDS) == (name, True)
    await proxied.proxy.restore()
    await _assert_serving(proxied)


async def test_requests_while_the_database_is_frozen_answer_503_within_the_timeouts_and_recover(
    proxied: Proxied,
) -> None:
    settings = proxied.settings
    # A request may wait for a connection, then for an answer on it, then to open a new one.
    allowed = (
        settings.db_pool_timeout
        + settings.db_statement_timeout
        + NO_ANSWER_GRACE_SECONDS
        + settings.db_connect_timeout
        + SLACK_SECONDS
    )
    await _assert_serving(proxied)

    proxied.proxy.freeze()
    first = await _burst(proxied.client, proxied.staff)
    second = await _burst(proxied.client, proxied.staff)  # now on connections opened during the freeze

    for name, elapsed, response in first + second:
        _assert_unavailable(name, response)
        assert (name, elapsed < allowed) == (name, True)
    await proxied.proxy.restore()
    await _assert_serving(proxied)


async def test_after_one_request_finds_the_database_frozen_the_next_wait_only_to_connect(
    proxied_long_statements: Proxied,
) -> None:
    """The connections opened before it are replaced, and closed without waiting for a goodbye that never comes
    (SQLAlchemy's polite close waits up to 2 s each)."""
    proxied = proxied_long_statements
    settings = proxied.settings
    # The bound below (connect, plus slack) tells the right wait from both wrong ones (connect, plus more).
    assert min(settings.db_statement_timeout + NO_ANSWER_GRACE_SECONDS, POLITE_CLOSE_SECONDS) > SLACK_SECONDS
    await _assert_serving(proxied)
    proxied.proxy.freeze()

    first, refused = await _timed(proxied.client.get("/api/events"))
    later = [
        await _timed(proxied.client.get(path, headers=proxied.staff))
        for path in ("/api/auth/me", "/api/events", "/api/auth/me", "/api/events")
    ]

    assert refused.status_code == 503
    assert first < settings.db_statement_timeout + NO_ANSWER_GRACE_SECONDS + SLACK_SECONDS
    assert [response.status_code for _, response in later] == [503, 503, 503, 503]
    # Each gives up opening a connection (1 s); none waits for an answer on an old one again (3 s more) nor for
    # its polite close (2 s more). The slack is for a loaded machine: under CI's load one took 1.98 s.
    assert max(elapsed for elapsed, _ in later) < settings.db_connect_timeout + SLACK_SECONDS
    await proxied.proxy.restore()
    await _assert_serving(proxied)


async def test_a_database_back_after_a_restart_serves_the_first_request(proxied: Proxied) -> None:
    """Connections the server closed while nobody used them are replaced at checkout, without a failed request."""
    await _assert_serving(proxied)
    accepted = proxied.proxy.connections_accepted

    await proxied.proxy.cut()
    await proxied.proxy.restore()

    await _assert_serving(proxied)
    assert proxied.proxy.connections_accepted > accepted


@pytest.fixture
async def slow_engine(pg_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(dataclasses.replace(pg_settings, db_statement_timeout=0.3, db_pool_size=1))
    try:
        yield engine
    finally:
        await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("select pg_backend_pid()"))).scalar_one())


async def test_a_statement_past_the_statement_timeout_is_unavailable_and_keeps_its_connection(
    slow_engine: AsyncEngine,
) -> None:
    before = await _backend_pid(slow_engine)

    async with slow_engine.connect() as connection:
        with pytest.raises(Exception) as through_sqlalchemy:
            await connection.execute(text("select pg_sleep(5)"))
    async with pooled(slow_engine) as runner:  # asyncpg's own connection, the same timeouts
        with pytest.raises(Exception) as through_asyncpg:
            await Prebuilt(text("select pg_sleep(5)")).first(runner, {})

    for raised in (through_sqlalchemy.value, through_asyncpg.value):
        assert (is_database_unavailable(raised), is_connection_lost(raised)) == (True, False)
    assert await _backend_pid(slow_engine) == before  # a slow statement is no outage: the pool kept it


async def _errors_of(engine: AsyncEngine, statements: list[str]) -> list[BaseException]:
    raised: list[BaseException] = []
    async with engine.connect() as connection:
        await connection.execute(text("create temporary table outage_probe (id integer primary key)"))
        await connection.execute(text("insert into outage_probe (id) values (1)"))
        for statement in statements:
            try:
                async with connection.begin_nested():
                    await connection.execute(text(statement))
            except Exception as exc:
                raised.append(exc)
    return raised


MISTAKES = [
    "insert into outage_probe (id) values (1)",  # a constraint violation
    "select * from no_such_table",  # a wrong statement (SQLite calls it an OperationalError)
    "select no_such_column from outage_probe",
]


async def test_constraint_violations_and_wrong_statements_are_not_outages_on_postgresql(
    slow_engine: AsyncEngine,
) -> None:
    raised = await _errors_of(slow_engine, [*MISTAKES, "select 1 / 0"])

    assert [is_database_unavailable(exc) for exc in raised] == [False, False, False, False]


async def test_constraint_violations_and_wrong_statements_are_not_outages_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}", tmp_path))
    try:
        raised = await _errors_of(engine, MISTAKES)
    finally:
        await engine.dispose()

    assert [is_database_unavailable(exc) for exc in raised] == [False, False, False]


@pytest.fixture(scope="module")
def sqlite_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A migrated SQLite file of this module's own, whatever database the rest of the suite runs on."""
    path = tmp_path_factory.mktemp("sqlite") / "podium.db"
    settings = make_settings(f"sqlite+aiosqlite:///{path}", tmp_path_factory.mktemp("sqlite-data"))
    migrate(settings, "head")
    return settings


async def test_sqlite_write_locked_past_the_busy_timeout_answers_503_and_recovers(sqlite_settings: Settings) -> None:
    settings = dataclasses.replace(sqlite_settings, db_statement_timeout=0.2)
    staff = {"Authorization": f"Bearer {await _make_user(settings, 'staff', STAFF_PASSWORD)}"}
    holder = sqlite3.connect(str(make_url(settings.database_url).database), isolation_level=None)
    try:
        async with app_client(create_app(settings)) as client:
            holder.execute("BEGIN EXCLUSIVE")  # another process writing, and taking its time

            elapsed, refused = await _timed(client.post("/api/auth/logout", headers=staff))
            still_in = await client.get("/api/auth/me", headers=staff)  # WAL: reads go on meanwhile
            holder.execute("ROLLBACK")
            logged_out = await client.post("/api/auth/logout", headers=staff)
            after = await client.get("/api/auth/me", headers=staff)
    finally:
        holder.close()

    _assert_unavailable("api", refused)
    assert elapsed < 0.2 + SLACK_SECONDS
    assert still_in.status_code == 200  # the refused logout wrote nothing
    assert (logged_out.status_code, after.status_code) == (204, 401)


async def test_sqlite_database_file_that_cannot_be_opened_answers_503(tmp_path: Path) -> None:
    unopenable = tmp_path / "podium.db"
    unopenable.mkdir()  # a directory where the database file should be (say, a volume not mounted right)
    settings = make_settings(f"sqlite+aiosqlite:///{unopenable}", tmp_path / "data")
    threads_before = set(threading.enumerate())

    async with app_client(create_app(settings)) as client:
        answers = {
            "api": await client.get("/api/events"),
            "page": await client.get("/", headers=HTML),
            "health": await client.get("/health"),
        }
    # aiosqlite stops a failed connection's thread without waiting for it; it must finish while this test's
    # loop still runs, or it reports into a closed loop.
    for thread in set(threading.enumerate()) - threads_before:
        if "_connection_worker_thread" in thread.name:
            await anyio.to_thread.run_sync(thread.join, 10)

    for name, response in answers.items():
        _assert_unavailable(name, response)
