"""Real servers for tests that need them: Podium under uvicorn and a local Stripe-compatible server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from podium.jobs.runtime import SHUTDOWN_GRACE_SECONDS
from podium.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# A server that starts in 3 s on a quiet machine took 19 s with the suite and a benchmark sharing two cores; a
# dead process is still noticed at once, so a generous limit only spares a loaded machine a false failure.
SERVER_START_TIMEOUT_S = 120


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = SERVER_START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up; see {log}")
        time.sleep(0.2)


ABUSE_LIMITS = (
    "order_limit_per_address",
    "order_limit_per_email",
    "waitlist_limit_per_address",
    "waitlist_limit_per_email",
    "login_limit_per_address",
    "open_holds_per_email",
    "open_holds_per_address",
    "link_mails_per_link",
)


# How long a Podium server may take to stop: its job worker's grace period for a running job, and some.
PODIUM_STOP_SECONDS = SHUTDOWN_GRACE_SECONDS + 15


def stop_server(process: subprocess.Popen[bytes], *, within: float) -> None:
    """SIGTERM, then wait for the graceful shutdown (a Podium server's job worker may take its whole grace period
    for a job running then). One that hangs is killed, so no server outlives its test, and the hang fails it."""
    process.terminate()
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@contextmanager
def podium_server(settings: Settings, workdir: Path, **extra_env: str) -> Iterator[str]:
    """Podium on a free local port against ``settings``' (migrated) database; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "PODIUM_DATA_DIR": str(workdir / "data"),
        "PODIUM_SECRET_KEY": settings.secret_key,
        "PODIUM_ENV": "test",
        # The abuse limits of ``settings`` (the suite lifts them: tests place many orders from one address).
        **{f"PODIUM_{name.upper()}": str(getattr(settings, name)) for name in ABUSE_LIMITS},
        # The server is the whole deployment, web and jobs, in one process (on PostgreSQL too); tests that
        # start ``podium worker`` processes of their own say PODIUM_WEB_RUNS_JOBS=0.
        "PODIUM_WEB_RUNS_JOBS": "1",
        **extra_env,
    }
    log = workdir / f"podium-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "podium.main.app:create_app", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for(f"http://127.0.0.1:{port}/health", process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(process, within=PODIUM_STOP_SECONDS)


@contextmanager
def localstripe_server(workdir: Path) -> Iterator[str]:
    """PyPI's localstripe, started on 127.0.0.1 only (its own CLI binds every interface)."""
    port = free_port()
    code = (
        "import sys; from aiohttp import web; from localstripe.server import app; "
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
    )
    log = workdir / f"localstripe-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-c", code, str(port)], stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(f"http://127.0.0.1:{port}/v1/balance", process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(process, within=10)
