"""Jobs the queue's tests defer: imported by the tests, and by worker processes through PODIUM_JOB_MODULES.

They keep their state in files, not in process memory, so a worker process and the test see the same thing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import anyio

from podium.jobs import JobEnv, job

ALWAYS_FAILS = "tests.always_fails"
FAILS_WHILE_FLAGGED = "tests.fails_while_flagged"
RECORD_RUN = "tests.record_run"


@job(ALWAYS_FAILS)
async def always_fails(env: JobEnv, reason: str) -> None:
    raise RuntimeError(f"always fails: {reason}")


@job(FAILS_WHILE_FLAGGED)
async def fails_while_flagged(env: JobEnv, flag: str) -> None:
    """Raises while the file ``flag`` exists; writes ``flag.done`` once it has run through."""
    if await anyio.Path(flag).exists():
        raise RuntimeError(f"{flag} is still there")
    await anyio.Path(f"{flag}.done").write_text("ok")


@job(RECORD_RUN, retry=False)
async def record_run(env: JobEnv, folder: str, n: int) -> None:
    """Creates ``folder/n`` holding this process's id; a second run of the same job fails (the file exists)."""
    await asyncio.sleep(0.005)
    with (Path(folder) / str(n)).open("x") as handle:
        handle.write(str(os.getpid()))
