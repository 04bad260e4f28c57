"""Where one paid order's server time goes: POST /api/events/{event}/orders, then its offline payment
(POST /api/orders/{id}/offline-payment; --no-pay leaves it at the hold), driven straight into the ASGI app.

No network and no HTTP client, so everything measured is the server's own work: Litestar, the order service,
SQLAlchemy and the driver. Creates its own PostgreSQL database (dropped afterwards) with the rush's event
(one category, one workshop add-on) and enough seats for every order, then prints the mean wall time and CPU
per paid order (this process and the database's PostgreSQL backends), the statements per order (--sql: each
one), and the cProfile functions by own time (--top).

    .venv/bin/python bench/order_profile.py [--orders 500] [--top 35] [--sort tottime] [--no-pay] [--sql]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
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

from podium.jobs.web import STATE_KEY as JOBS_STATE_KEY
from podium.main.app import create_app
from podium.main.cli import migrate
from podium.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkin_profile import by_package, call
from cpu import snapshot, spent
from program import admin
from registration_rush import order_body, seed

SLUG = "profile-2027"


async def run(settings: Settings, orders: int, top: int, sort: str, *, pay: bool, show_sql: bool) -> None:
    app = create_app(settings)
    statements = 0
    shown: list[str] | None = None
    path = f"/api/events/{SLUG}/orders"
    run_id = secrets.token_hex(3)

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal statements
        statements += 1
        if shown is not None:
            shown.append(" ".join(statement.split())[:300])

    async def place(index: int) -> None:
        body = json.dumps(order_body(index, run_id)).encode()
        status, reply = await call(app, "POST", path, body, [(b"idempotency-key", f"{run_id}-{index}".encode())])
        assert status == 201, reply
        if pay:
            if shown is not None:
                shown.append("-- paying")
            order = json.loads(reply)
            status, reply = await call(
                app, "POST", f"/api/orders/{order['id']}/offline-payment", b"",
                [(b"x-order-secret", order["secret"].encode())],
            )  # fmt: skip
            assert status == 200, reply

    async with app.lifespan():
        engine = app.state["podium_session_maker"].kw["bind"]
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        jobs = app.state[JOBS_STATE_KEY]
        defer = jobs._defer
        deferred = 0

        async def counted_defer(name: str) -> None:  # the job wake-ups the orders cost (podium/jobs/web.py)
            nonlocal deferred
            deferred += 1
            await defer(name)

        jobs._defer = counted_defer
        for index in range(20):  # warm up every statement cache
            await place(index)
        if show_sql:  # one more order, each statement it runs
            shown = []
            await place(20 + 2 * orders)
            print("\n".join(shown), end="\n\n")
            shown = None
        statements = deferred = 0
        started = time.perf_counter()
        profile = cProfile.Profile()
        profile.enable()
        for index in range(20, 20 + orders):
            await place(index)
        profile.disable()
        elapsed = time.perf_counter() - started
        print(f"{orders} orders: {elapsed / orders * 1000:.2f} ms each (with the profiler on), "
              f"{statements / orders:.1f} statements each, {deferred / orders:.2f} job defers")  # fmt: skip
        stats = pstats.Stats(profile)
        stats.sort_stats(sort).print_stats(top)
        print("own time per order by package (ms, profiler on):")
        for package, own in by_package(stats, orders)[:15]:
            print(f"  {package:<28} {own:6.3f}")
        database = make_url(settings.database_url).database
        started, cpu_started = time.perf_counter(), time.process_time()
        before = snapshot(os.getpid(), database)
        for index in range(20 + orders, 20 + 2 * orders):
            await place(index)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        used = spent(before, snapshot(os.getpid(), database))
        postgres = f", PostgreSQL {used['postgres'] / orders * 1000:.2f} ms" if used else ""
        print(f"without the profiler: {wall / orders * 1000:.2f} ms per order, {cpu / orders * 1000:.2f} ms of CPU"
              f"{postgres}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key: tottime, cumulative, ...")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pay", dest="pay", action="store_false", help="profile the hold alone")
    parser.add_argument("--sql", action="store_true", help="first print each statement one order runs")
    args = parser.parse_args()
    name = f"podium_bench_order_profile_{secrets.token_hex(4)}"
    asyncio.run(admin(args.server, f'CREATE DATABASE "{name}"'))
    data_dir = tempfile.mkdtemp(prefix="podium-profile-")
    settings = Settings(
        database_url=make_url(args.server).set(database=name).render_as_string(hide_password=False),
        secret_key=secrets.token_urlsafe(32), data_dir=Path(data_dir), environment="test",
        hold_sweep_seconds=0, mail_drain_seconds=0,
        # Every order comes from one address and buyer: the limits still count (their cost is measured) but
        # never refuse.
        order_limit_per_address=10**9, order_limit_per_email=10**9,
        open_holds_per_email=10**9, open_holds_per_address=10**9,
    )  # fmt: skip
    try:
        migrate(settings)
        asyncio.run(seed(settings, SLUG, 2 * args.orders + 100))
        asyncio.run(run(settings, args.orders, args.top, args.sort, pay=args.pay, show_sql=args.sql))
    finally:
        asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
