"""Registration rush, measured in paid orders: each buyer places an order and pays for it, and the mail the
orders cause is rendered and delivered to a local SMTP server.

Starts Podium on its own PostgreSQL database as production runs it: --workers single-worker uvicorn web
servers (a load balancer's view: the client spreads its connections over them) and --job-workers
`podium worker` processes that send the mail (when this checkout has `podium worker`; otherwise the web
workers send it themselves and the mail CPU can't be told apart). Then, one phase after another:

* paid orders at each --concurrency (offline provider): place (POST /orders) then pay (POST
  /offline-payment), seats for every order, so every order counts; the whole order (both calls) is timed;
* the same at the highest concurrency confirmed by Stripe's signed `payment_intent.succeeded` webhooks
  (--webhook-orders; the PaymentIntents are made by a local Stripe-compatible server, PyPI's localstripe);
* a sold-out phase: --sold-out-orders orders for --seats workshop seats; refusals are not orders, only the
  oversold count (seats held beyond the quota; must be 0) comes from it.

Each buyer's requests carry their own address in X-Forwarded-For and the servers trust 127.0.0.1 as the
proxy, as behind a load balancer (rate limits count per buyer's address); --one-address sends every order
from 127.0.0.1 instead, so all of them count on one address's row.

After each paid phase it waits until every mail the phase caused is delivered: mail lag is the time from
the last order's answer to the last delivery. CPU comes from /proc: web servers, job workers and the
PostgreSQL backends of this database, per paid order. The last line is one JSON object with the figures.

    .venv/bin/python bench/registration_rush.py [--orders 2000] [--concurrency 16 64] [--workers 2]
        [--job-workers 1] [--webhook-orders 1000] [--sold-out-orders 1000 --seats 200] [--one-address]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from events.models import Event
from podium.db import create_engine, session_maker
from podium.main.cli import migrate
from podium.settings import Settings
from registration.models import AddOn, Category, PriceWindow, Quota, QuotaItem, Registration, RegistrationAddOn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpu
from http_client import Connection, run_client, without_gc_pauses
from program import admin, free_port, serve_each, stop

ROOT = Path(__file__).resolve().parents[1]
PRICE = 50_000
WORKSHOP_PRICE = 15_000
WEBHOOK_SECRET = "whsec_bench_" + secrets.token_hex(8)


async def seed(settings: Settings, slug: str, seats: int) -> None:
    """An open event with one paid category and a workshop of ``seats`` seats."""
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            today = dt.date.today()
            event = Event(
                slug=slug,
                name=f"Meeting {slug}",
                kind="annual_meeting",
                timezone="America/New_York",
                venue="Hall",
                city="Boston",
                currency="USD",
                start_date=today + dt.timedelta(days=90),
                end_date=today + dt.timedelta(days=94),
                status="published",
                registration_opens_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
            )
            db_session.add(event)
            await db_session.flush()
            category = Category(
                event_id=event.id,
                code="non-member",
                name="Non-member",
                eligibility="open",
                price_windows=[PriceWindow(label="regular", starts_on=today - dt.timedelta(days=30), amount=PRICE)],
            )
            workshop = AddOn(
                event_id=event.id, code="workshop", name="Workshop", kind="workshop", amount=WORKSHOP_PRICE
            )
            db_session.add_all([category, workshop])
            await db_session.flush()
            quota = Quota(event_id=event.id, name=f"Workshop {slug}", size=seats, used=0, scope="items")
            db_session.add(quota)
            await db_session.flush()
            db_session.add(QuotaItem(quota_id=quota.id, add_on_id=workshop.id))
            await db_session.commit()
    finally:
        await engine.dispose()


async def seats_taken(settings: Settings, slug: str) -> tuple[int, int]:
    """(registrations holding a workshop seat, quota size)."""
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            held = await db_session.scalar(
                select(func.count())
                .select_from(RegistrationAddOn)
                .join(Registration, Registration.id == RegistrationAddOn.registration_id)
                .join(Event, Event.id == Registration.event_id)
                .where(Event.slug == slug, Registration.status.in_(["held", "confirmed", "awaiting_verification"]))
            )
            size = await db_session.scalar(select(Quota.size).where(Quota.name == f"Workshop {slug}"))
            return int(held or 0), int(size or 0)
    finally:
        await engine.dispose()


async def mail_waiting(settings: Settings) -> int:
    """Outbox messages not yet sent (nor given up on)."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM outbox_message WHERE status = 'pending'")) or 0)
    finally:
        await engine.dispose()


def order_body(i: int, run: str) -> dict[str, object]:
    email = f"buyer{i}.{run}@rush.example"
    return {
        "buyer_name": f"Buyer {i}",
        "buyer_email": email,
        "attendees": [
            {
                "email": email,
                "first_name": "Buyer",
                "last_name": str(i),
                "country": "US",
                "category": "non-member",
                "add_ons": ["workshop"],
            }
        ],
    }


def signed_webhook(order_id: str, intent_id: str, amount: int) -> tuple[bytes, str]:
    """A `payment_intent.succeeded` event as Stripe sends it, signed with the endpoint's secret."""
    payload = json.dumps(
        {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "data": {
                "object": {
                    "id": intent_id,
                    "object": "payment_intent",
                    "amount": amount,
                    "amount_received": amount,
                    "currency": "usd",
                    "status": "succeeded",
                    "metadata": {"order_id": order_id},
                }
            },
        }
    ).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={digest}"


@dataclass
class Phase:
    """What one phase measured."""

    latencies: list[float] = field(default_factory=list)  # whole order (place + pay), paid orders only
    place_ms: list[float] = field(default_factory=list)
    pay_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    paid: int = 0
    elapsed: float = 0.0
    last_answer: float = 0.0
    web_ms: float = 0.0  # CPU per paid order, web servers, during the rush
    pg_ms: float = 0.0  # CPU per paid order, this database's PostgreSQL backends, during the rush
    worker_ms: float | None = None  # CPU per paid order, job workers, rush + mail drain
    worker_rush_ms: float | None = None  # the same, during the rush only: what the mail took from the orders
    client_ms: float = 0.0  # CPU per paid order, this load generator
    machine_ms: float | None = None  # CPU per paid order, everything on the machine, during the rush
    busy_share: float = 0.0  # how busy the machine's cores were during the rush (1.0: all of them, all the time)
    lag: float | None = None  # seconds from the last order's answer to the last mail's delivery


def buyer_address(i: int) -> str:
    """Buyer ``i``'s own address (from 10.0.0.0/8), as the load balancer forwards it."""
    return f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"


async def rush(
    bases: list[str], slug: str, orders: int, concurrency: int, *, pay: str, forwarded: bool = True
) -> Phase:
    """``orders`` buyers over ``concurrency`` keep-alive connections; ``pay`` is offline, webhook or none.
    ``forwarded``: each buyer's request carries their own address in X-Forwarded-For, as behind the load
    balancer production runs behind (the servers trust 127.0.0.1 as that proxy); otherwise every order comes
    from 127.0.0.1, one address whose rate-limit counter row every order then updates."""
    run = secrets.token_hex(3)
    phase = Phase()
    connections = [Connection(bases[i % len(bases)]) for i in range(concurrency)]
    for connection in connections:  # open every connection before the clock starts
        await connection.request("GET", f"/api/events/{slug}")
    todo: asyncio.Queue[int] = asyncio.Queue()
    for i in range(orders):
        todo.put_nowait(i)

    async def buyer(connection: Connection) -> None:
        while not todo.empty():
            i = todo.get_nowait()
            started = time.perf_counter()
            headers = {"Idempotency-Key": f"{run}-{i}"}
            if forwarded:
                headers["X-Forwarded-For"] = buyer_address(i)
            try:
                placed = await connection.request(
                    "POST", f"/api/events/{slug}/orders", json_body=order_body(i, run), headers=headers
                )
            except (OSError, asyncio.IncompleteReadError):
                phase.statuses["place:dropped"] += 1
                continue
            placed_at = time.perf_counter()
            phase.statuses[f"place:{placed.status}"] += 1
            if placed.status != 201 or pay == "none":
                continue
            order = placed.json()
            assert isinstance(order, dict)
            try:
                if pay == "offline":
                    paid = await connection.request(
                        "POST",
                        f"/api/orders/{order['id']}/offline-payment",
                        headers={"X-Order-Secret": order["secret"]},
                    )
                    reply = paid.json()
                    ok = paid.status == 200 and isinstance(reply, dict) and reply["status"] == "paid"
                else:
                    intent_id = str(order["payment"]["client_secret"]).split("_secret_")[0]
                    payload, signature = signed_webhook(str(order["id"]), intent_id, int(order["total"]))
                    paid = await connection.request(
                        "POST",
                        "/api/payments/stripe/webhook",
                        body=payload,
                        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
                    )
                    ok = paid.status == 200
            except (OSError, asyncio.IncompleteReadError):
                phase.statuses["pay:dropped"] += 1
                continue
            done = time.perf_counter()
            phase.statuses[f"pay:{paid.status}"] += 1
            if ok:
                phase.paid += 1
                phase.latencies.append((done - started) * 1000)
                phase.place_ms.append((placed_at - started) * 1000)
                phase.pay_ms.append((done - placed_at) * 1000)
                phase.last_answer = max(phase.last_answer, time.time())

    with without_gc_pauses():
        started = time.perf_counter()
        await asyncio.gather(*(buyer(c) for c in connections))
        phase.elapsed = time.perf_counter() - started
    for connection in connections:
        await connection.close()
    return phase


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if ordered else float("nan")


class Mailbox:
    """The local SMTP server's delivery log."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def deliveries(self) -> list[float]:
        if not self.path.exists():
            return []
        return [float(line.split()[0]) for line in self.path.read_text().splitlines() if line.strip()]

    def wait_drained(self, settings: Settings, since: int, timeout: float) -> tuple[int, float | None]:
        """Wait until the outbox has nothing pending and deliveries stopped growing; (delivered, last time)."""
        deadline = time.monotonic() + timeout
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.deliveries())
            if count != seen:
                seen, quiet_since = count, time.monotonic()
            elif time.monotonic() - quiet_since > 1.0 and asyncio.run(mail_waiting(settings)) == 0:
                break
            time.sleep(0.2)
        delivered = self.deliveries()[since:]
        return len(delivered), (max(delivered) if delivered else None)


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


def has_worker_command() -> bool:
    probe = subprocess.run([sys.executable, "-m", "podium.main", "worker", "--help"], capture_output=True, cwd=ROOT)
    return probe.returncode == 0


def wait_for_port(port: int, child: subprocess.Popen[bytes], timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if child.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@dataclass
class Stand:
    """The running servers a phase is measured against."""

    settings: Settings
    database: str
    bases: list[str]
    web_pids: list[int]
    worker_pids: list[int]
    mailbox: Mailbox
    mail_timeout: float
    forwarded: bool


def measured(stand: Stand, label: str, slug: str, orders: int, concurrency: int, pay: str) -> Phase:
    """One paid phase: the rush, then the wait for its mail; prints its figures and keeps them on the Phase."""
    delivered_before = len(stand.mailbox.deliveries())
    web0 = cpu.snapshot(stand.web_pids, stand.database)
    jobs0 = cpu.snapshot(stand.worker_pids, stand.database) if stand.worker_pids else None
    phase = run_client(rush(stand.bases, slug, orders, concurrency, pay=pay, forwarded=stand.forwarded))
    web1 = cpu.snapshot(stand.web_pids, stand.database)
    jobs_in_rush = cpu.snapshot(stand.worker_pids, stand.database) if stand.worker_pids else None
    delivered, last = stand.mailbox.wait_drained(stand.settings, delivered_before, stand.mail_timeout)
    jobs1 = cpu.snapshot(stand.worker_pids, stand.database) if stand.worker_pids else None
    web = cpu.spent(web0, web1) or {}
    paid = max(phase.paid, 1)
    phase.web_ms = web.get("server", 0.0) / paid * 1000
    phase.pg_ms = web.get("postgres", 0.0) / paid * 1000
    if stand.worker_pids:
        phase.worker_ms = (cpu.spent(jobs0, jobs1) or {}).get("server", 0.0) / paid * 1000
        phase.worker_rush_ms = (cpu.spent(jobs0, jobs_in_rush) or {}).get("server", 0.0) / paid * 1000
    phase.client_ms = web.get("client", 0.0) / paid * 1000
    if web.get("machine busy") is not None:
        phase.machine_ms = web["machine busy"] / paid * 1000
        phase.busy_share = web["machine busy"] / max(web["machine busy"] + web["machine idle"], 1e-9)
    phase.lag = (last - phase.last_answer) if last is not None else None

    rate = phase.paid / phase.elapsed if phase.elapsed else 0.0
    codes = dict(sorted(phase.statuses.items()))
    print(f"{label}: {orders} orders at c{concurrency} ({pay}): {phase.paid} paid, {rate:.1f} paid orders/s; {codes}")
    if phase.latencies:
        whole = phase.latencies
        print(
            f"  whole order p50 {statistics.median(whole):.1f} ms, p95 {percentile(whole, 95):.1f} ms, "
            f"p99 {percentile(whole, 99):.1f} ms; place p50 {statistics.median(phase.place_ms):.1f} ms, "
            f"pay p50 {statistics.median(phase.pay_ms):.1f} ms"
        )
    jobs_note = f"; job workers {phase.worker_ms:.2f} ms (rush + mail drain)" if phase.worker_ms is not None else ""
    print(f"  CPU per paid order: web {phase.web_ms:.2f} ms + PostgreSQL {phase.pg_ms:.2f} ms (rush){jobs_note}")
    if phase.machine_ms is not None:
        in_rush = f", job workers {phase.worker_rush_ms:.2f} ms" if phase.worker_rush_ms is not None else ""
        print(
            f"  the machine during the rush: {phase.busy_share:.0%} busy, {phase.machine_ms:.2f} ms per paid order "
            f"in all (load generator {phase.client_ms:.2f} ms{in_rush})"
        )
    when = f"{phase.lag:.1f} s after the last order's answer" if phase.lag is not None else "never arrived"
    print(f"  mail: {delivered} delivered ({delivered / paid:.2f} per paid order); the last {when}")
    return phase


def start_job_workers(count: int, env: dict[str, str], data_dir: Path) -> list[subprocess.Popen[bytes]]:
    children = []
    for n in range(count):
        log = (data_dir / f"worker-{n}.log").open("a")
        children.append(
            subprocess.Popen(
                [sys.executable, "-m", "podium.main", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        )
    return children


@contextmanager
def stand_up(
    args: argparse.Namespace, settings: Settings, database: str, mailbox: Mailbox, server_env: dict[str, str]
) -> Iterator[Stand]:
    """Web servers and job workers as production runs them, for one payment mode."""
    data_dir = settings.data_dir
    job_worker_count = args.job_workers if has_worker_command() else 0
    server_env = server_env | {"PODIUM_WEB_RUNS_JOBS": "false" if job_worker_count else "true"}
    job_env = {
        **os.environ,
        **server_env,
        "DATABASE_URL": settings.database_url,
        "PODIUM_SECRET_KEY": settings.secret_key,
        "PODIUM_ENV": "test",
    }
    servers = serve_each(settings, str(data_dir), args.workers, server_env)
    job_workers: list[subprocess.Popen[bytes]] = []
    try:
        job_workers = start_job_workers(job_worker_count, job_env, Path(data_dir))
        print(
            f"{args.workers} web servers, {job_worker_count or 'no'} job workers"
            + ("" if job_worker_count else " (no `podium worker` here: the web servers send the mail)")
        )
        yield Stand(
            settings, database, [base for _, base in servers], [p.pid for p, _ in servers],
            [p.pid for p in job_workers], mailbox, args.mail_timeout, not args.one_address,
        )  # fmt: skip
    finally:
        for child in job_workers:
            child.terminate()
        for child in job_workers:
            child.wait(timeout=30)
        stop(servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000, help="paid orders per concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--workers", type=int, default=2, help="web servers")
    parser.add_argument("--job-workers", type=int, default=1, help="`podium worker` processes")
    parser.add_argument("--warm-up", type=int, default=200)
    parser.add_argument("--webhook-orders", type=int, default=1000, help="0: skip the webhook phase")
    parser.add_argument("--sold-out-orders", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=200, help="workshop seats in the sold-out phase")
    parser.add_argument("--mail-timeout", type=float, default=300)
    parser.add_argument(
        "--one-address",
        action="store_true",
        help="every order from 127.0.0.1 (default: each buyer's own address, forwarded as by a load balancer)",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create the benchmark's own database on",
    )
    args = parser.parse_args()

    name = f"podium_bench_rush_{secrets.token_hex(4)}"
    url = make_url(args.database).set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(args.database, f'CREATE DATABASE "{name}"'))
    data_dir = Path(tempfile.mkdtemp(prefix=f"{name}_"))
    settings = Settings(database_url=url, secret_key=secrets.token_urlsafe(48), environment="test", data_dir=data_dir)
    top = max(args.concurrency)
    slugs = {"warm-up": "warm-up-2027", "webhook": "webhook-2027", "sold-out": "sold-out-2027"}
    slugs |= {f"c{c}": f"paid-c{c}-2027" for c in args.concurrency}
    figures: dict[str, float | int | None] = {}
    try:
        migrate(settings)
        for key, slug in slugs.items():
            seats = args.seats if key == "sold-out" else max(args.orders, args.warm_up, args.webhook_orders) + 10
            asyncio.run(seed(settings, slug, seats))
        smtp_port = free_port()
        mailbox = Mailbox(data_dir / "deliveries.log")
        sink = [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(smtp_port), str(mailbox.path)]
        with process(sink, dict(os.environ), data_dir / "smtp.log") as smtp:
            wait_for_port(smtp_port, smtp)
            server_env = {
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_port),
                "SMTP_STARTTLS": "false",
                "PODIUM_MAIL_DRAIN_SECONDS": "1",
                "PODIUM_DATA_DIR": str(data_dir),
                "PODIUM_TRUSTED_PROXIES": "127.0.0.1",  # the load balancer the client stands in for
            }
            print("offline test provider: place, then pay by the provider's call")
            with stand_up(args, settings, name, mailbox, server_env) as stand:
                measured(stand, "warm-up", slugs["warm-up"], args.warm_up, min(args.concurrency), "offline")
                results = {
                    c: measured(stand, f"paid c{c}", slugs[f"c{c}"], args.orders, c, "offline")
                    for c in args.concurrency
                }
            if args.webhook_orders:
                print("Stripe (localstripe): place, then a signed payment_intent.succeeded webhook")
                with localstripe(data_dir) as stripe_base:
                    stripe_env = server_env | {
                        "STRIPE_SECRET_KEY": "sk_test_bench",
                        "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
                        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                        "STRIPE_API_BASE": stripe_base,
                    }
                    with stand_up(args, settings, name, mailbox, stripe_env) as stand:
                        hooked = measured(
                            stand, "paid by webhook", slugs["webhook"], args.webhook_orders, top, "webhook"
                        )
                figures[f"webhook_paid_orders_per_s_c{top}"] = round(hooked.paid / hooked.elapsed, 1)
                figures[f"webhook_p99_ms_c{top}"] = round(percentile(hooked.latencies, 99), 1)
            # Last: its orders stay held, and the mails that causes later (a held order's pay link after 30 s, its
            # expiry) fall in no measured phase; run before the webhook phase, they were counted in its mail.
            with stand_up(args, settings, name, mailbox, server_env) as stand:
                sold_out = rush(
                    stand.bases, slugs["sold-out"], args.sold_out_orders, top, pay="none", forwarded=stand.forwarded
                )
                sold = asyncio.run(sold_out)
                held, size = asyncio.run(seats_taken(settings, slugs["sold-out"]))
                codes = dict(sorted(sold.statuses.items()))
                print(f"sold out: {args.sold_out_orders} orders for {size} seats at c{top}: {codes}; seats held {held}")
        for c, phase in results.items():
            figures[f"paid_orders_per_s_c{c}"] = round(phase.paid / phase.elapsed, 1) if phase.elapsed else 0.0
            figures[f"p99_ms_c{c}"] = round(percentile(phase.latencies, 99), 1)
        best = results[top]
        figures["cpu_ms_per_order"] = round(best.web_ms + best.pg_ms, 2)
        figures["mail_cpu_ms_per_order"] = round(best.worker_ms, 2) if best.worker_ms is not None else None
        figures["mail_lag_s"] = round(best.lag, 1) if best.lag is not None else None
        figures["oversold"] = max(0, held - size)
    finally:
        asyncio.run(admin(args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(figures))


@contextmanager
def localstripe(workdir: Path) -> Iterator[str]:
    """PyPI's localstripe (the tests' helper starts it on 127.0.0.1)."""
    sys.path.insert(0, str(ROOT))
    from tests.servers import localstripe_server

    with localstripe_server(workdir) as base:
        yield base


if __name__ == "__main__":
    main()
