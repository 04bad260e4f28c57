"""Registration rush: many buyers at once for a workshop smaller than the demand.

Starts Podium on PostgreSQL with several uvicorn workers (a real ASGI server on 127.0.0.1), fires
--orders orders at --concurrency against --seats workshop seats, and prints orders/s, latency
percentiles and the oversold count (seats held beyond capacity; must be 0). It creates its own database
and drops it afterwards. The last line is one JSON object with the figures.

Before the measured rush, --warm-up orders go at the same concurrency to a second event with a workshop of
its own, so each worker has run the order path once and each of its pool connections has prepared the
order statements, as a server does that has been taking orders before a popular workshop opens. The
warm-up's own figures are printed too (the cold start of freshly started workers).

    .venv/bin/python bench/registration_rush.py [--orders 2000] [--concurrency 64] [--seats 500] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from events.models import Event
from podium.cli import migrate
from podium.db import create_engine, session_maker
from podium.settings import Settings
from registration.models import (
    AddOn,
    Category,
    PriceWindow,
    Quota,
    QuotaItem,
    Registration,
    RegistrationAddOn,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpu
from http_client import Connection, without_gc_pauses
from program import admin, serve

ROOT = Path(__file__).resolve().parents[1]
SLUG = "rush-2027"
WARM_UP_SLUG = "warm-up-2027"


async def seed(settings: Settings, seats: int, slug: str = SLUG) -> None:
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            today = dt.date.today()
            event = Event(
                slug=slug, name=f"Meeting {slug}", kind="annual_meeting", timezone="America/New_York", venue="Hall",
                city="Boston", currency="USD", start_date=today + dt.timedelta(days=90),
                end_date=today + dt.timedelta(days=94), status="published",
                registration_opens_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
            )  # fmt: skip
            db_session.add(event)
            await db_session.flush()
            category = Category(
                event_id=event.id, code="non-member", name="Non-member", eligibility="open",
                price_windows=[PriceWindow(label="regular", starts_on=today - dt.timedelta(days=30), amount=50_000)],
            )  # fmt: skip
            workshop = AddOn(event_id=event.id, code="workshop", name="Workshop", kind="workshop", amount=15_000)
            db_session.add_all([category, workshop])
            await db_session.flush()
            quota = Quota(event_id=event.id, name=f"Workshop {slug}", size=seats, used=0, scope="items")
            db_session.add(quota)
            await db_session.flush()
            db_session.add(QuotaItem(quota_id=quota.id, add_on_id=workshop.id))
            await db_session.commit()
    finally:
        await engine.dispose()


async def count_held(settings: Settings) -> tuple[int, int, int]:
    """(registrations holding a workshop seat, quota used, quota size)."""
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            held = await db_session.scalar(
                select(func.count())
                .select_from(RegistrationAddOn)
                .join(Registration, Registration.id == RegistrationAddOn.registration_id)
                .join(Event, Event.id == Registration.event_id)
                .where(Event.slug == SLUG, Registration.status.in_(["held", "confirmed", "awaiting_verification"]))
            )
            used, size = (
                await db_session.execute(select(Quota.used, Quota.size).where(Quota.name == f"Workshop {SLUG}"))
            ).one()
            return int(held or 0), int(used), int(size)
    finally:
        await engine.dispose()


def order_body(i: int, run: str) -> dict[str, object]:
    email = f"buyer{i}.{run}@rush.example"
    return {
        "buyer_name": f"Buyer {i}",
        "buyer_email": email,
        "attendees": [
            {"email": email, "first_name": "Buyer", "last_name": str(i), "country": "US", "category": "non-member",
             "add_ons": ["workshop"]}
        ],
    }  # fmt: skip


async def fire(
    base_url: str, orders: int, concurrency: int, server_pid: int, slug: str = SLUG
) -> tuple[list[float], Counter[int], float, dict[str, float] | None]:
    run = secrets.token_hex(3)
    latencies: list[float] = []
    timeline: list[tuple[float, float]] = []
    by_status: dict[int, list[float]] = {}
    statuses: Counter[int] = Counter()
    connections = [Connection(base_url) for _ in range(concurrency)]
    for connection in connections:  # open every connection and warm every worker's pool and code paths
        await connection.request("GET", f"/api/events/{slug}")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(orders):
        queue.put_nowait(i)

    async def worker(connection: Connection) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            try:
                reply = await connection.request(
                    "POST",
                    f"/api/events/{slug}/orders",
                    json_body=order_body(i, run),
                    headers={"Idempotency-Key": f"{run}-{i}"},
                )
                status = reply.status
            except (OSError, asyncio.IncompleteReadError):  # counted, not hidden: a dropped connection fails
                status = 0
            statuses[status] += 1
            latencies.append((time.perf_counter() - started) * 1000)
            timeline.append((started, latencies[-1]))
            by_status.setdefault(status, []).append(latencies[-1])

    with without_gc_pauses():
        cpu_before = cpu.snapshot(server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in connections))
        elapsed = time.perf_counter() - started
        cpu_spent = cpu.spent(cpu_before, cpu.snapshot(server_pid))
    for connection in connections:
        await connection.close()
    timeline.sort()  # by when each order was sent: the first quarter holds the orders that got seats
    for part in range(4):
        chunk = [lat for _, lat in timeline[part * len(timeline) // 4 : (part + 1) * len(timeline) // 4]]
        p50, p99 = statistics.median(chunk), percentile(chunk, 99)
        print(f"  quarter {part + 1} of the orders sent: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(chunk):.1f} ms")
    for status, values in sorted(by_status.items()):
        print(f"  {status}: p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 99):.1f} ms")
    return latencies, statuses, elapsed, cpu_spent


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warm-up", type=int, default=256, help="orders for the warm-up event first (0: none)")
    parser.add_argument(
        "--database", default=os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create the benchmark's own database on",
    )  # fmt: skip
    args = parser.parse_args()

    name = f"podium_bench_rush_{secrets.token_hex(4)}"
    url = make_url(args.database).set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(args.database, f'CREATE DATABASE "{name}"'))
    data_dir = Path(tempfile.mkdtemp(prefix=f"{name}_"))
    settings = Settings(database_url=url, secret_key=secrets.token_urlsafe(48), environment="test", data_dir=data_dir)
    server = None
    try:
        migrate(settings)
        asyncio.run(seed(settings, args.seats))
        asyncio.run(seed(settings, args.warm_up, WARM_UP_SLUG))
        server, base_url = serve(settings, str(data_dir), args.workers)
        time.sleep(1)  # let every worker finish starting
        if args.warm_up:
            print(f"warm-up: {args.warm_up} orders for {WARM_UP_SLUG}, all with seats")
            warm = asyncio.run(fire(base_url, args.warm_up, args.concurrency, server.pid, WARM_UP_SLUG))
            print(f"  warm-up p50 {statistics.median(warm[0]):.1f} ms, p99 {percentile(warm[0], 99):.1f} ms; "
                  f"status codes {dict(sorted(warm[1].items()))}")  # fmt: skip
            print("the rush:")
        latencies, statuses, elapsed, cpu_spent = asyncio.run(fire(base_url, args.orders, args.concurrency, server.pid))
        held, used, size = asyncio.run(count_held(settings))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        asyncio.run(admin(args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)

    figures = {
        "orders_per_s": round(args.orders / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "oversold": max(0, held - size),
        "server_errors": sum(n for code, n in statuses.items() if code >= 500 or code == 0),
    }
    print(f"orders={args.orders} concurrency={args.concurrency} seats={size} workers={args.workers}")
    print(f"status codes: {dict(sorted(statuses.items()))}; seats held {held}, quota used {used}/{size}")
    if cpu_spent is not None:
        per_order = {k: round(v / args.orders * 1000, 2) for k, v in cpu_spent.items()}
        print(f"CPU seconds during the rush: {cpu_spent}; ms per order: {per_order}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
