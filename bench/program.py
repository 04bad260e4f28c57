"""Program and calendar feeds at Annual Meeting scale.

Creates its own PostgreSQL database (dropped afterwards), seeds the demo Annual Meeting (600+ sessions) with
--attendees paid registrations that all have a personal agenda (~20 sessions), then measures:

* server-side times, in-process through the ASGI app, timed from the app's side (no network, no client): the full
  program feed cold (a fresh worker's first render), uncached (each request queries and assembles the feed;
  only per-session VEVENT text is memoised), and cached (the worker's copy under the current ETag); a personal
  feed of 20 sessions; a 304 for the program feed and for a personal feed;
* requests/s, p50 and CPU ms per request (web workers, PostgreSQL, load generator) against --workers
  single-worker uvicorn servers (connections spread over them, as a load balancer would) at --concurrency,
  for the pages attendees open all day: the public session list as JSON (one day, as the program page asks
  for it), the program page for that day, and 50 different sessions' JSON and pages in turn.

Medians are printed per figure. The last line is one JSON object with the figures.

    .venv/bin/python bench/program.py [--attendees 10000] [--workers 2] [--concurrency 16] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from demo.seed import DemoSize, seed_demo
from events.models import Event
from podium.db import create_engine, session_maker
from podium.main.app import create_app
from podium.main.cli import migrate
from podium.settings import Settings
from registration.models import Registration
from sessions import feed_controllers
from sessions.feeds import agenda_token
from sessions.models import AgendaFeed, ProgramSession

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpu
from http_client import Connection, without_gc_pauses

SLUG = "annual-meeting-2027"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin(base_url: str, statement: str) -> None:
    url = make_url(base_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def analyze(settings: Settings) -> None:
    """Statistics for the rows just seeded, as autovacuum gives a live database soon after a bulk load: without
    them PostgreSQL plans the feed's speaker query for empty tables (11.7 ms on the database instead of 2.5 ms),
    and the uncached feed's figure depended on whether autovacuum had run yet."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def feed_tokens(settings: Settings, limit: int) -> list[str]:
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            rows = (
                await db_session.execute(
                    select(AgendaFeed.id, AgendaFeed.version, Registration.secret_version)
                    .join(Registration, Registration.id == AgendaFeed.registration_id)
                    .order_by(AgendaFeed.id)
                    .limit(limit)
                )
            ).all()
    finally:
        await engine.dispose()
    return [agenda_token(settings.secret_key, *row) for row in rows]


def ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


class ServerTimed:
    """ASGI wrapper that times each request from the server's side: from the call until the last body byte
    is handed to the server, so the client's own work is not counted."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - started

        await self.app(scope, receive, timed_send if scope["type"] == "http" else send)


async def in_process(settings: Settings, tokens: list[str], rounds: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    app = create_app(settings)
    server = ServerTimed(app)

    async def timed(
        client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
    ) -> tuple[float, httpx.Response]:
        response = await client.get(path, headers=headers or {})
        return server.last, response

    transport = httpx.ASGITransport(app=server)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        program = f"/api/events/{SLUG}/program.ics"
        cold, response = await timed(client, program)
        assert response.status_code == 200, response.text
        events = response.content.count(b"BEGIN:VEVENT")
        figures["full_feed_cold_ms"] = round(cold * 1000, 2)
        etag = response.headers["etag"]

        uncached = []
        for _ in range(rounds):
            feed_controllers._rendered.clear()
            elapsed, response = await timed(client, program)
            uncached.append(elapsed)
        figures["full_feed_ms"] = ms(uncached)
        figures["full_feed_cached_ms"] = ms([(await timed(client, program))[0] for _ in range(rounds)])
        figures["full_feed_304_ms"] = ms(
            [(await timed(client, program, {"If-None-Match": etag}))[0] for _ in range(rounds * 4)]
        )

        personal, personal_304, sizes = [], [], []
        for token in tokens:
            elapsed, response = await timed(client, f"/api/agenda/{token}.ics")
            assert response.status_code == 200, response.text
            personal.append(elapsed)
            sizes.append(response.content.count(b"BEGIN:VEVENT"))
            tag = {"If-None-Match": response.headers["etag"]}
            elapsed, response = await timed(client, f"/api/agenda/{token}.ics", tag)
            assert response.status_code == 304
            personal_304.append(elapsed)
        figures["personal_feed_ms"] = ms(personal)
        figures["personal_feed_304_ms"] = ms(personal_304)
        figures["program_sessions"] = events
        figures["personal_feed_sessions"] = statistics.median(sizes)
    return figures


async def load(bases: list[str], paths: list[str], concurrency: int, seconds: float) -> tuple[float, float]:
    """Requests/s and p50 latency for GETs of ``paths`` (taken in turn) at ``concurrency``, after one warm-up
    GET of each on every server (so a worker's first render is not what is measured). The connections are
    spread over the servers in turn, as a load balancer would, and use the benchmarks' own client: httpx spent
    about as much CPU per request as the server, on the same two cores."""
    latencies: list[float] = []
    connections = [Connection(bases[n % len(bases)]) for n in range(concurrency)]
    try:
        for connection in connections[: len(bases)]:
            for path in paths:
                assert (await connection.request("GET", path)).status == 200, path
        stop = time.perf_counter() + seconds

        async def worker(first: int, connection: Connection) -> None:
            turn = first
            while time.perf_counter() < stop:
                started = time.perf_counter()
                reply = await connection.request("GET", paths[turn % len(paths)])
                assert reply.status == 200, (reply.status, reply.body[:200])
                latencies.append(time.perf_counter() - started)
                turn += 1

        with without_gc_pauses():
            started = time.perf_counter()
            await asyncio.gather(*(worker(i, c) for i, c in enumerate(connections)))
            elapsed = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return round(len(latencies) / elapsed, 1), ms(latencies)


async def session_ids(settings: Settings, limit: int) -> list[str]:
    """Published sessions of the demo event, for the session page and JSON loads."""
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            rows = await db_session.scalars(
                select(ProgramSession.id)
                .join(Event, Event.id == ProgramSession.event_id)
                .where(Event.slug == SLUG, ProgramSession.status == "published")
                .order_by(ProgramSession.starts_at, ProgramSession.id)
                .limit(limit)
            )
            return [str(row) for row in rows]
    finally:
        await engine.dispose()


def serve(
    settings: Settings, data_dir: str, workers: int, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Podium under uvicorn with ``workers`` workers on a free local port, once it answers /health."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "PODIUM_DATA_DIR": data_dir,
        "PODIUM_SECRET_KEY": settings.secret_key,
        "PODIUM_ENV": "test",
        "PODIUM_HOLD_SWEEP_SECONDS": "0",
        # Every benchmark request comes from 127.0.0.1: the limits still count (their cost is measured) but
        # never refuse.
        **{
            f"PODIUM_{name}": "1000000000"
            for name in (
                "ORDER_LIMIT_PER_ADDRESS",
                "ORDER_LIMIT_PER_EMAIL",
                "WAITLIST_LIMIT_PER_ADDRESS",
                "WAITLIST_LIMIT_PER_EMAIL",
                "LOGIN_LIMIT_PER_ADDRESS",
                "OPEN_HOLDS_PER_EMAIL",
                "OPEN_HOLDS_PER_ADDRESS",
            )
        },
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "podium.main.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
         "--timeout-keep-alive", "30", "--no-proxy-headers"],
        env=env,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.3)


def serve_each(
    settings: Settings, data_dir: str, workers: int, extra_env: dict[str, str] | None = None
) -> list[tuple[subprocess.Popen[bytes], str]]:
    """``workers`` single-worker uvicorn servers, each on a port of its own: what a load balancer has behind it.

    uvicorn's ``--workers`` share one listening socket and the kernel hands each new connection to whichever
    worker accepts first, so a client's few keep-alive connections can split 3 to 13 between two workers
    (seen here), and the busier worker's requests wait far longer. A load balancer spreads requests evenly;
    a benchmark client does the same by spreading its connections over these servers in turn."""
    servers: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for _ in range(workers):
            servers.append(serve(settings, data_dir, 1, extra_env))
    except BaseException:
        stop(servers)
        raise
    return servers


def stop(servers: list[tuple[subprocess.Popen[bytes], str]]) -> None:
    for process, _ in servers:
        process.terminate()
    for process, _ in servers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attendees", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--personal-feeds", type=int, default=200)
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_DATABASE_SERVER", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    name = f"podium_bench_program_{secrets.token_hex(4)}"
    asyncio.run(admin(args.server, f'CREATE DATABASE "{name}"'))
    data_dir = tempfile.mkdtemp(prefix="podium-bench-")
    settings = Settings(
        database_url=make_url(args.server).set(database=name).render_as_string(hide_password=False),
        secret_key=secrets.token_urlsafe(32),
        data_dir=Path(data_dir),
        environment="test",
        hold_sweep_seconds=0,
        mail_drain_seconds=0,
    )
    servers: list[tuple[subprocess.Popen[bytes], str]] = []
    name_of_database = name
    try:
        started = time.perf_counter()
        migrate(settings)
        print(
            asyncio.run(seed_demo(settings, DemoSize(registrations=args.attendees, agendas=args.attendees))),
            file=sys.stderr,
        )
        print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        asyncio.run(analyze(settings))
        tokens = asyncio.run(feed_tokens(settings, args.personal_feeds))
        figures = asyncio.run(in_process(settings, tokens, args.rounds))
        servers = serve_each(settings, data_dir, args.workers)
        bases = [base for _, base in servers]
        day = "2027-04-15"
        ids = asyncio.run(session_ids(settings, 50))
        loads = {
            # The public list as the program page's script asks for it, and the page itself (one day of 663).
            "program_list": [f"/api/events/{SLUG}/sessions?day={day}"],
            "program_page": [f"/events/{SLUG}/program?day={day}"],
            # Attendees open sessions from the program: 50 different ones in turn.
            "session_json": [f"/api/sessions/{i}" for i in ids],
            "session_page": [f"/events/{SLUG}/sessions/{i}" for i in ids],
        }
        for name, paths in loads.items():
            before = cpu.snapshot([process.pid for process, _ in servers], name_of_database)
            rps, p50 = asyncio.run(load(bases, paths, args.concurrency, args.seconds))
            spent = cpu.spent(before, cpu.snapshot([process.pid for process, _ in servers], name_of_database)) or {}
            requests = max(rps * args.seconds, 1)
            figures |= {
                f"{name}_rps": rps,
                f"{name}_p50_ms": p50,
                # CPU per request: the web workers, PostgreSQL (this database's backends) and the load generator.
                f"{name}_server_cpu_ms": round(spent.get("server", 0.0) / requests * 1000, 2),
                f"{name}_postgres_cpu_ms": round(spent.get("postgres", 0.0) / requests * 1000, 2),
                f"{name}_client_cpu_ms": round(spent.get("client", 0.0) / requests * 1000, 2),
            }
        figures["concurrency"] = args.concurrency
        figures["attendees_with_agendas"] = len(asyncio.run(feed_tokens(settings, 10**9)))
        for key, value in figures.items():
            print(f"{key:>26}: {value}")
        print(json.dumps(figures))
    finally:
        stop(servers)
        asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
