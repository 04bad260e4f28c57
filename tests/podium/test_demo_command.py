"""A newcomer's first run of ``podium demo``: it says what it does, where mail goes and where links point,
prints the logins last (no library log lines after them, even while serving), and serves what it says."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx

from tests.servers import free_port

SEED_TIMEOUT_S = 240  # seeding 663 sessions on a busy 2-core machine


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def test_demo_prints_the_logins_last_and_serves_them(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODIUM_", "DATABASE_URL"))}
    env["PODIUM_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-c", "from podium.main.cli import main; main()", "demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    printed: list[str] = []
    try:
        deadline = time.monotonic() + SEED_TIMEOUT_S
        while not (printed and printed[-1].startswith("  staff:")):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "demo ended early:\n" + "\n".join(printed)
            printed.append(line)
        base = f"http://127.0.0.1:{port}"
        # The greeting comes once the server listens: the page it names answers now.
        assert httpx.get(f"{base}/login", timeout=10).status_code == 200
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200
        organizer = next(line for line in printed if line.startswith("  organizer:"))
        email, password = organizer.split(":", 1)[1].strip().split(" / ")
        login = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": password}, timeout=10)
        assert login.status_code in {200, 201}, login.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    after: list[str] = []
    while (line := lines.get(timeout=10)) is not None:
        after.append(line)
    assert process.stdout is not None
    process.stdout.close()

    text = "\n".join(printed)
    assert printed[0].startswith("Preparing the database: sqlite")
    assert f"Links in mails and feeds point to PODIUM_BASE_URL=http://127.0.0.1:{port}" in text
    assert f"each message is written to {tmp_path / 'mail'} as an .eml file" in text
    assert printed[-3] == "Demo logins (new passwords on every seed):"
    # Library INFO lines (alembic per migration, procrastinate per periodic job, uvicorn, fontTools) stay off,
    # and nothing at all follows the logins while the server serves and stops.
    assert not [line for line in printed if " INFO " in line], text
    assert [line for line in after if line.strip()] == []
