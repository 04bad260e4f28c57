"""Check-in at the doors: the first morning of the Annual Meeting.

Creates its own PostgreSQL database (dropped afterwards), seeds the demo Annual Meeting with --registrations
paid attendees, makes their badges, starts --workers uvicorn workers, and measures:

* scans/s and latency percentiles of POST /api/checkins (one scan per request, each a different badge at
  the entrance, as staff phones send them) at concurrency 16 and 64;
* offline token verifications per second in Python (what a scanner does with the public key alone), on one
  core and on every core, and what one verification spends decoding the text (base45, claims) and in Ed25519
  itself (``parse_us``, ``ed25519_us``);
* the time to render 10,000 badges (4x3 in) as one print PDF;
* the offline side, in headless Chromium (/usr/bin/chromium): the scanner page's own JavaScript verifying
  (WebCrypto Ed25519) and deciding (the bundle's rule table) --offline-scans badges against the bundle of
  every badge, median and p95 ms per scan, and what indexing the bundle costs the page once; the bundle
  with names as a phone downloads it: bytes as JSON and gzipped, and the download time here (median of 5,
  the server building it included) and at 10 Mbit/s (the gzipped bytes alone);
* while scanning: CPU milliseconds per scan of the server workers, of PostgreSQL's backends for the benchmark
  database and of this client (a light keep-alive HTTP client, ``http_client.py``, so the load generator
  costs little of the two cores it shares with the server).

Before the measured scans, --warm-up scans of other badges go through the same path, so each worker has run
it once and each of its pool connections has prepared the scan statements (PostgreSQL plans a prepared
statement afresh for its first five runs), as on a door that has been scanning for a while.

``verifications_per_s`` in the JSON is the every-core figure: verifications are independent (a server
re-checking an offline batch, a scanner with more than one core), so it is the throughput the machine gives.
The one-core figure is printed next to it (``verifications_per_s_one_core``): it is bounded by Ed25519
verification alone, ~0.1 ms on this CPU, so no decoding speed-up takes one core past ~10,000/s here.

Production runs its workers behind a load balancer, which spreads requests evenly over them; so each worker
is a uvicorn of its own on its own port and the benchmark's connections go to them in turn. With
--shared-socket it runs one ``uvicorn --workers`` instead, whose workers share a listening socket: the kernel
gives each new connection to whichever worker accepts first, 16 connections split anywhere from 8/8 to 3/13
here, and the busier worker's scans wait about twice as long (per-connection medians of 23 against 8 ms).

The last line is one JSON object with the figures.

    .venv/bin/python bench/checkin.py [--registrations 10000] [--scans 3000] [--workers 2] [--shared-socket]
                                      [--offline-scans 1000] [--offline-only]
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
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, cast

import httpx
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from sqlalchemy.engine import make_url

from badges import tokens
from badges.keys import event_key
from badges.models import Checkpoint
from badges.pdf import render_badges
from badges.printing import registration_cards
from demo.seed import DemoSize, seed_demo
from events.models import Event
from podium.auth import services as auth_services
from podium.auth.schemas import UserCreate
from podium.db import create_engine, session_maker
from podium.main.cli import migrate
from podium.settings import Settings
from registration.models import Registration

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpu
from http_client import Connection, without_gc_pauses
from program import admin, serve, serve_each, stop

SLUG = "annual-meeting-2027"
STAFF = ("bench-staff@podium.test", "bench-staff-password")


async def prepare(
    settings: Settings, registrations: int, *, render: bool = True
) -> tuple[list[str], str, bytes, float]:
    """Badge tokens for every registration, the entrance checkpoint, the public key, the 10k-PDF seconds."""
    await seed_demo(settings, DemoSize(registrations=registrations))
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            await auth_services.create_user(
                db_session, UserCreate(email=STAFF[0], display_name="Bench Staff", password=STAFF[1], role="staff")
            )
            event = (await db_session.scalars(select(Event).where(Event.slug == SLUG))).one()
            people = (
                await db_session.scalars(
                    select(Registration)
                    .where(Registration.event_id == event.id, Registration.status == "confirmed")
                    .order_by(Registration.last_name, Registration.first_name)
                )
            ).all()
            cards = await registration_cards(db_session, people, settings.secret_key)
            key = await event_key(db_session, event.id, settings.secret_key)
            await db_session.commit()  # the badges and key made for the run are kept
            entrance = await db_session.scalar(
                select(Checkpoint.id).where(Checkpoint.event_id == event.id, Checkpoint.kind == "entrance")
            )
    finally:
        await engine.dispose()
    seconds = 0.0
    if render:
        started = time.perf_counter()
        pdf = render_badges(cards[:10_000], "4x3")
        seconds = time.perf_counter() - started
        assert pdf.startswith(b"%PDF-")
    return [c.token for c in cards], str(entrance), tokens.b64url_decode(key.public_key), seconds


def _verify_all(texts: list[str], public_key: bytes) -> int:
    key = tokens.public_key_from_bytes(public_key)
    for text in texts:
        tokens.verify(text, key)
    return len(texts)


def verification_costs(text: str, public_key: bytes, rounds: int = 20_000) -> tuple[float, float]:
    """Microseconds per token spent parsing (base45 and claims) and verifying the Ed25519 signature."""
    key = tokens.public_key_from_bytes(public_key)
    started = time.perf_counter()
    for _ in range(rounds):
        _, signed, signature = tokens.parse(text)
    parse_us = (time.perf_counter() - started) / rounds * 1e6
    started = time.perf_counter()
    for _ in range(rounds // 4):
        tokens.verify_signature(key, signed, signature)
    return parse_us, (time.perf_counter() - started) / (rounds // 4) * 1e6


def verifications_per_second(tokens_text: list[str], public_key: bytes, rounds: int = 40_000) -> tuple[float, float]:
    """(one core, every core): a scanner checks one badge at a time, a server-side re-check can fan out."""
    sample = (tokens_text * (rounds // max(1, len(tokens_text)) + 1))[:rounds]
    started = time.perf_counter()
    _verify_all(sample[: rounds // 4], public_key)
    one_core = (rounds // 4) / (time.perf_counter() - started)
    cores = os.cpu_count() or 1
    chunks = [sample[i::cores] for i in range(cores)]
    with ProcessPoolExecutor(max_workers=cores) as pool:
        list(pool.map(_verify_all, [c[:10] for c in chunks], [public_key] * cores))  # start the processes
        started = time.perf_counter()
        done = sum(pool.map(_verify_all, chunks, [public_key] * cores))
        all_cores = done / (time.perf_counter() - started)
    return one_core, all_cores


async def fire(
    base_urls: list[str],
    tokens_text: list[str],
    entrance: str,
    concurrency: int,
    run: str,
    server_pids: list[int],
    database: str,
) -> tuple[float, list[float], int, dict[str, float] | None]:
    """Scans/s, each request's latency (ms), how many were admitted, and who spent the CPU meanwhile.

    The connections go to the servers in turn (connection i to server i mod n), as a load balancer would."""
    login = await Connection(base_urls[0]).request(
        "POST", "/api/auth/login", json_body={"email": STAFF[0], "password": STAFF[1]}
    )
    token = cast(dict[str, Any], login.json())["token"]
    connections = [
        Connection(base_urls[n % len(base_urls)], {"Authorization": f"Bearer {token}"}) for n in range(concurrency)
    ]
    for connection in connections:  # open every connection and warm every worker's pool and code paths
        await connection.request("GET", f"/api/events/{SLUG}")
    latencies: list[float] = []
    admitted = 0
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for index, text in enumerate(tokens_text):
        queue.put_nowait((index, text))

    async def device(number: int, connection: Connection) -> None:
        nonlocal admitted
        while not queue.empty():
            index, text = queue.get_nowait()
            scan = {
                "checkpoint_id": entrance,
                "device_id": f"bench-{run}-{number}",
                "device_seq": index + 1,
                "device_time": dt.datetime.now(dt.UTC).isoformat(),
                "token": text,
            }
            started = time.perf_counter()
            reply = await connection.request("POST", "/api/checkins", json_body={"scans": [scan]})
            latencies.append((time.perf_counter() - started) * 1000)
            if reply.status == 200 and b'"reason":"admitted"' in reply.body:
                admitted += 1

    with without_gc_pauses():
        cpu_before = cpu.snapshot(server_pids, database)
        started = time.perf_counter()
        await asyncio.gather(*(device(n, c) for n, c in enumerate(connections)))
        elapsed = time.perf_counter() - started
        cpu_spent = cpu.spent(cpu_before, cpu.snapshot(server_pids, database))
    for connection in connections:
        await connection.close()
    return len(tokens_text) / elapsed, latencies, admitted, cpu_spent


def bundle_download(base_url: str, rounds: int = 5) -> dict[str, float]:
    """The names bundle as the scanner page fetches it: JSON bytes, gzipped bytes, and how long a download takes."""
    with httpx.Client(base_url=base_url, timeout=120) as http:
        token = http.post("/api/auth/login", json={"email": STAFF[0], "password": STAFF[1]}).json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        seconds: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            with http.stream("GET", f"/api/events/{SLUG}/scanner-bundle?names=true", headers=headers) as reply:
                body = reply.read()
                wire = reply.num_bytes_downloaded
            seconds.append(time.perf_counter() - started)
    assert reply.headers.get("content-encoding") == "gzip", reply.headers
    return {
        "bundle_json_kb": round(len(body) / 1024, 1),
        "bundle_gzip_kb": round(wire / 1024, 1),
        "bundle_download_ms": round(statistics.median(seconds) * 1000, 1),
        "bundle_10mbit_s": round(wire * 8 / 10_000_000, 2),
    }


def offline_decisions(base_url: str, texts: list[str]) -> dict[str, float]:
    """The scanner page's JavaScript deciding each badge offline, one after another as a door does."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(base_url=base_url)
            login = context.request.post("/api/auth/login", data={"email": STAFF[0], "password": STAFF[1]})
            assert login.ok, login.text()
            page = context.new_page()
            page.goto(f"/staff/events/{SLUG}/scanner")
            page.wait_for_selector("#scanner[data-ready='yes']", state="attached", timeout=120_000)
            result = page.evaluate(
                """async ([texts, url]) => {
                  const checkpoint = document.getElementById("checkpoint").value;
                  const bundle = await (await (await caches.open("podium-scanner-bundles")).match(url)).json();
                  let started = performance.now();
                  window.PodiumScanRules.prepare(bundle);
                  const prepareMs = performance.now() - started;
                  const times = [];
                  const reasons = {};
                  const all = performance.now();
                  for (const token of texts) {
                    const now = new Date().toISOString();
                    const scan = { checkpoint_id: checkpoint, direction: "in", device_time: now, token };
                    started = performance.now();
                    const verdict = await window.podiumScanner.decideOffline(scan);
                    times.push(performance.now() - started);
                    reasons[verdict.reason] = (reasons[verdict.reason] || 0) + 1;
                  }
                  const totalMs = performance.now() - all;
                  return { times, reasons, prepareMs, totalMs, badges: bundle.badges.length };
                }""",
                [texts, f"/api/events/{SLUG}/scanner-bundle?names=true"],
            )
        finally:
            browser.close()
    times = cast(list[float], result["times"])
    print(f"offline: {len(times)} scans against {result['badges']} badges, answers {result['reasons']}")
    return {
        "offline_badges": result["badges"],
        "offline_scans": len(times),
        "offline_admitted": result["reasons"].get("admitted", 0),
        "offline_median_ms": round(statistics.median(times), 3),
        "offline_p95_ms": round(percentile(times, 95), 3),
        # Chromium's clock ticks in 0.1 ms steps here (no cross-origin isolation): the mean of the whole run is
        # the finer figure.
        "offline_mean_ms": round(result["totalMs"] / len(times), 3),
        "offline_prepare_ms": round(result["prepareMs"], 1),
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--scans", type=int, default=3_000, help="scans per concurrency level (distinct badges)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warm-up", type=int, default=300, help="scans of other badges before measuring")
    parser.add_argument(
        "--shared-socket",
        action="store_true",
        help="one uvicorn with --workers sharing a socket (the kernel splits connections) instead of one per worker",
    )
    parser.add_argument("--offline-scans", type=int, default=1_000, help="badges the page decides offline")
    parser.add_argument(
        "--offline-only", action="store_true", help="only the offline side (no online scans, no badge PDF)"
    )
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_DATABASE_SERVER", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()

    name = f"podium_bench_checkin_{secrets.token_hex(4)}"
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
    try:
        migrate(settings)
        all_tokens, entrance, public_key, pdf_seconds = asyncio.run(
            prepare(settings, args.registrations, render=not args.offline_only)
        )
        figures: dict[str, float] = {}
        if args.offline_only:
            servers = serve_each(settings, data_dir, 1)
            figures.update(bundle_download(servers[0][1]))
            figures.update(offline_decisions(servers[0][1], all_tokens[: args.offline_scans]))
            for key, value in figures.items():
                print(f"{key:>22}: {value}")
            print(json.dumps(figures))
            return
        one_core, all_cores = verifications_per_second(all_tokens, public_key)
        figures["verifications_per_s"] = round(all_cores)
        figures["verifications_per_s_one_core"] = round(one_core)
        parse_us, ed25519_us = verification_costs(all_tokens[0], public_key)
        figures["parse_us"], figures["ed25519_us"] = round(parse_us, 1), round(ed25519_us, 1)
        servers = (
            [serve(settings, data_dir, args.workers)]
            if args.shared_socket
            else serve_each(settings, data_dir, args.workers)
        )
        base_urls, pids = [url for _, url in servers], [process.pid for process, _ in servers]
        time.sleep(1)
        half = min(args.scans, len(all_tokens) // 2)
        warm_up = all_tokens[2 * half : 2 * half + args.warm_up]
        if warm_up:
            rate, latencies, _, _ = asyncio.run(
                fire(base_urls, warm_up, entrance, 16, secrets.token_hex(3), pids, name)
            )
            print(f"warm-up: {len(warm_up)} scans, {rate:.0f}/s, p50 {statistics.median(latencies):.1f} ms, "
                  f"p99 {percentile(latencies, 99):.1f} ms")  # fmt: skip
        for concurrency, chunk in ((16, all_tokens[:half]), (64, all_tokens[half : 2 * half])):
            rate, latencies, admitted, cpu_spent = asyncio.run(
                fire(base_urls, chunk, entrance, concurrency, secrets.token_hex(3), pids, name)
            )
            if cpu_spent is not None:
                per_scan = {k: round(v / len(chunk) * 1000, 2) for k, v in cpu_spent.items()}
                print(f"c{concurrency}: CPU seconds {cpu_spent}; ms per scan {per_scan}")
            figures[f"scans_per_s_c{concurrency}"] = round(rate, 1)
            figures[f"p50_ms_c{concurrency}"] = round(statistics.median(latencies), 1)
            figures[f"p99_ms_c{concurrency}"] = round(percentile(latencies, 99), 1)
            figures[f"admitted_c{concurrency}"] = admitted
        # Offline last: the page decides against the bundle as it stands after the morning's scans.
        figures.update(bundle_download(base_urls[0]))
        figures.update(offline_decisions(base_urls[0], all_tokens[: args.offline_scans]))
        figures["badges_10k_s"] = round(pdf_seconds * 10_000 / max(1, min(10_000, len(all_tokens))), 1)
        figures["badges_rendered"] = min(10_000, len(all_tokens))
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
        print(json.dumps(figures))
    finally:
        stop(servers)
        asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
