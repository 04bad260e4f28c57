"""Where the mail of paid orders goes: the outbox drain (compose, render, attach PDFs, send) profiled in-process.

Creates its own PostgreSQL database (dropped afterwards), pays --orders orders through the ASGI app (offline
provider; nothing sends mail meanwhile), then drains the outbox the way a `podium worker` does, to a local
SMTP server (bench/smtp_sink.py, a process of its own), once under cProfile and once without. Prints CPU ms
per mail and per paid order, the functions by own time (--top) and own time by package.

    .venv/bin/python bench/mail_profile.py [--orders 200] [--top 30]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from podium.mail_senders import sender_for
from podium.main.app import create_app
from podium.main.cli import migrate
from podium.settings import Settings
from registration.mail.attachments import drain_outbox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkin_profile import by_package, call
from program import admin, free_port
from registration_rush import order_body, seed, wait_for_port

SLUG = "mail-profile-2027"


async def pay(settings: Settings, orders: int, first: int) -> None:
    app = create_app(settings)
    async with app.lifespan():
        for index in range(first, first + orders):
            body = json.dumps(order_body(index, "mail")).encode()
            status, reply = await call(
                app, "POST", f"/api/events/{SLUG}/orders", body, [(b"idempotency-key", b"k%d" % index)]
            )
            assert status == 201, reply
            order = json.loads(reply)
            headers = [(b"x-order-secret", order["secret"].encode())]
            status, reply = await call(app, "POST", f"/api/orders/{order['id']}/offline-payment", b"", headers)
            assert status == 200, reply


async def drain(settings: Settings, profile: cProfile.Profile | None) -> tuple[int, float, float]:
    """Drain the outbox to the end; (mails sent, CPU seconds and wall seconds of the drain alone, app start-up
    left out)."""
    app = create_app(settings)
    sender = sender_for(settings)
    sent = 0
    async with app.lifespan():
        maker = app.state["podium_session_maker"]
        started, wall = time.process_time(), time.monotonic()
        if profile is not None:
            profile.enable()
        while True:
            async with maker() as db_session:
                batch = await drain_outbox(db_session, sender, settings, batch=100)
            sent += batch
            if not batch:
                break
        if profile is not None:
            profile.disable()
        return sent, time.process_time() - started, time.monotonic() - wall


async def pending(settings: Settings) -> int:
    from podium.db import create_engine

    engine = create_engine(settings)
    async with engine.connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM outbox_message WHERE status = 'pending'"))
    await engine.dispose()
    return int(count or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key: tottime, cumulative, ...")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    name = f"podium_bench_mail_{secrets.token_hex(4)}"
    asyncio.run(admin(args.server, f'CREATE DATABASE "{name}"'))
    data_dir = Path(tempfile.mkdtemp(prefix="podium-mail-profile-"))
    port = free_port()
    settings = Settings(
        database_url=make_url(args.server).set(database=name).render_as_string(hide_password=False),
        secret_key=secrets.token_urlsafe(32), data_dir=data_dir, environment="test", web_runs_jobs=False,
        hold_sweep_seconds=0, mail_drain_seconds=0, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
        order_limit_per_address=10**9, order_limit_per_email=10**9, open_holds_per_email=10**9,
        open_holds_per_address=10**9,
    )  # fmt: skip
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "smtp_sink.py"), str(port), str(data_dir / "log")]
    )
    try:
        wait_for_port(port, sink)
        migrate(settings)
        asyncio.run(seed(settings, SLUG, 2 * args.orders + 10))
        asyncio.run(pay(settings, args.orders, 0))
        waiting = asyncio.run(pending(settings))
        profile = cProfile.Profile()
        sent, cpu, _ = asyncio.run(drain(settings, profile))
        print(f"profiled: {sent} mails ({waiting} were waiting) for {args.orders} paid orders: "
              f"{cpu / max(sent, 1) * 1000:.2f} ms CPU per mail (profiler on)")  # fmt: skip
        stats = pstats.Stats(profile)
        stats.sort_stats(args.sort).print_stats(args.top)
        print("own time per paid order by package (ms, profiler on):")
        for package, own in by_package(stats, args.orders)[:15]:
            print(f"  {package:<28} {own:6.3f}")
        asyncio.run(pay(settings, args.orders, args.orders))
        sent, cpu, wall = asyncio.run(drain(settings, None))
        print(f"without the profiler: {sent} mails, {cpu / max(sent, 1) * 1000:.2f} ms CPU per mail, "
              f"{cpu / args.orders * 1000:.2f} ms per paid order (this process; PostgreSQL not counted), "
              f"{sent / wall:.0f} mails/s ({args.orders / wall:.0f} paid orders' mail/s) from one drainer")  # fmt: skip
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
