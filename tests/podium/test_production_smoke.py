"""``scripts/production-smoke`` passes: the production profile (two uvicorn web workers, one ``podium worker``,
JSON logs, /metrics) on a PostgreSQL database of its own, register -> pay -> mail -> scan, and it stops what it
started. It runs in the suite's PostgreSQL pass (CI has one), on that server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from tests.conftest import postgres_base_url

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "production-smoke"


def test_production_smoke_walks_the_production_profile_and_stops_everything() -> None:
    base = postgres_base_url()
    if base is None:
        pytest.skip("runs on PostgreSQL: set DATABASE_URL=postgresql+asyncpg://… (CI's PostgreSQL pass does)")
    url = make_url(base)
    server = URL.create("postgresql", url.username, url.password, url.host, url.port).render_as_string(False)
    # Its job worker outside the idle scheduling class: beside the other test processes that keep both cores
    # busy in CI, an idle-class worker would get almost no CPU, and the mail has a minute.
    env = {**os.environ, "PYTHON": sys.executable, "PODIUM_SMOKE_POSTGRES": server, "PODIUM_WORKER_IDLE": "false"}

    run = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600, check=False)

    said = [line for line in run.stdout.splitlines() if line.startswith("production-smoke")]
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    for step in ("registered: order", "paid", "mail written by the job worker", "scanned at the entrance: admitted",
                 "/metrics (token required: 401 without) counts the order, the payment and the scan",
                 "stopped the web workers and the job worker", "dropped database"):  # fmt: skip
        assert any(step in line for line in said), (step, said)
