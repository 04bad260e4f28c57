"""Where one scan's server time goes: POST /api/checkins driven straight into the ASGI app, in-process.

No network and no HTTP client, so everything measured is the server's own work: Litestar, auth, the check-in
service, SQLAlchemy and the driver. Creates its own PostgreSQL database (dropped afterwards), seeds the demo
Annual Meeting with --registrations paid attendees, then prints the mean wall time per scan, the statements
per scan that went through SQLAlchemy (those sent straight to asyncpg, ``podium.db_prebuilt``, are not
counted: a scan at the entrance sends none through it), and the cProfile functions by own time (--top).

With ``--server sqlite`` it runs on a SQLite file in a temporary directory instead.

    .venv/bin/python bench/checkin_profile.py [--registrations 600] [--scans 500] [--top 35] [--server sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import json
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from podium.auth.middleware import SESSION_MAKER_STATE_KEY
from podium.auth.services import user_for_token
from podium.db_prebuilt import pooled
from podium.main.app import create_app
from podium.main.cli import migrate
from podium.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkin import STAFF, prepare
from program import admin


async def call(app: Any, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """One request through the ASGI app; (status, body)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def phases(app: Any, auth: list[tuple[bytes, bytes]], rounds: int) -> None:
    """CPU per request of the layers under a scan: Litestar alone (a 401 without a token), plus the staff
    token lookup (a 422 for a body that fails validation after authentication)."""
    for label, headers, body in (
        ("no token: 401 (Litestar, no database)", [], b'{"scans": []}'),
        ("staff token, invalid body: 422 (+ auth lookup)", auth, b'{"scans": []}'),
    ):
        status, _ = await call(app, "POST", "/api/checkins", body, headers)
        started = time.process_time()
        for _ in range(rounds):
            await call(app, "POST", "/api/checkins", body, headers)
        print(f"{label}: status {status}, {(time.process_time() - started) / rounds * 1000:.2f} ms of CPU")
    engine = app.state[SESSION_MAKER_STATE_KEY].kw["bind"]
    token = auth[0][1].decode().removeprefix("Bearer ")
    started = time.process_time()
    for _ in range(rounds):
        async with pooled(engine) as connection:
            assert await user_for_token(connection, token) is not None
    print(f"the staff token lookup alone: {(time.process_time() - started) / rounds * 1000:.2f} ms of CPU")


def _package(filename: str, function: str) -> str:
    """``site-packages/litestar/...`` → ``litestar``; our own modules by their package; builtins by name."""
    if filename == "~":
        return "wait (epoll)" if "poll" in function else "builtins"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if len(parts) > 1 and parts[-2] in {"podium", "badges", "registration", "events", "sessions", "bench", "auth"}:
        return "/".join(parts[-2:])
    return "stdlib/" + Path(filename).stem


def by_package(stats: pstats.Stats, requests: int) -> list[tuple[str, float]]:
    """Own time per request (ms) summed by package, largest first."""
    totals: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]  # pstats' table; typeshed omits it
        totals[_package(filename, function)] = totals.get(_package(filename, function), 0.0) + own
    return sorted(((package, own / requests * 1000) for package, own in totals.items()), key=lambda item: -item[1])


async def run(settings: Settings, tokens_text: list[str], entrance: str, scans: int, top: int, sort: str) -> None:
    app = create_app(settings)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    async with app.lifespan():
        engine = app.state["podium_session_maker"].kw["bind"]
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        login = json.dumps({"email": STAFF[0], "password": STAFF[1]}).encode()
        status, body = await call(app, "POST", "/api/auth/login", login, [])
        assert status == 200, body
        auth = [(b"authorization", f"Bearer {json.loads(body)['token']}".encode())]

        def request(index: int) -> bytes:
            scan = {
                "checkpoint_id": entrance, "device_id": "profile", "device_seq": index + 1,
                "device_time": dt.datetime.now(dt.UTC).isoformat(), "token": tokens_text[index],
            }  # fmt: skip
            return json.dumps({"scans": [scan]}).encode()

        for index in range(20):  # warm up every statement cache
            await call(app, "POST", "/api/checkins", request(index), auth)
        statements = 0
        started = time.perf_counter()
        profile = cProfile.Profile()
        profile.enable()
        for index in range(20, 20 + scans):
            status, body = await call(app, "POST", "/api/checkins", request(index), auth)
            assert status == 200 and b'"admitted"' in body, body
        profile.disable()
        elapsed = time.perf_counter() - started
        print(f"{scans} scans: {elapsed / scans * 1000:.2f} ms each (with the profiler on), "
              f"{statements / scans:.1f} statements each through SQLAlchemy")  # fmt: skip
        stats = pstats.Stats(profile)
        stats.sort_stats(sort).print_stats(top)
        print("own time per scan by package (ms, profiler on):")
        for package, own in by_package(stats, scans)[:15]:
            print(f"  {package:<28} {own:6.3f}")
        await phases(app, auth, scans)
        started, cpu_started = time.perf_counter(), time.process_time()
        for index in range(20 + scans, 20 + 2 * scans):
            await call(app, "POST", "/api/checkins", request(index), auth)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"without the profiler: {wall / scans * 1000:.2f} ms per scan, {cpu / scans * 1000:.2f} ms of CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registrations", type=int, default=1200)
    parser.add_argument("--scans", type=int, default=500)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key: tottime, cumulative, ...")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432", help="or: sqlite")
    args = parser.parse_args()
    name = f"podium_bench_profile_{secrets.token_hex(4)}"
    data_dir = tempfile.mkdtemp(prefix="podium-profile-")
    sqlite = args.server == "sqlite"
    if sqlite:
        database_url = f"sqlite+aiosqlite:///{data_dir}/{name}.db"
    else:
        asyncio.run(admin(args.server, f'CREATE DATABASE "{name}"'))
        database_url = make_url(args.server).set(database=name).render_as_string(hide_password=False)
    settings = Settings(
        database_url=database_url,
        secret_key=secrets.token_urlsafe(32), data_dir=Path(data_dir), environment="test",
        hold_sweep_seconds=0, mail_drain_seconds=0,
    )  # fmt: skip
    try:
        migrate(settings)
        all_tokens, entrance, _, _ = asyncio.run(prepare(settings, args.registrations, render=False))
        asyncio.run(
            run(settings, all_tokens, entrance, min(args.scans, (len(all_tokens) - 20) // 2), args.top, args.sort)
        )
    finally:
        if not sqlite:
            asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
