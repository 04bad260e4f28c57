"""A job of an idle-class worker waits while the machine's CPU is contended: its database work can wait, a buyer can't.

``podium worker`` runs in Linux's idle scheduling class, so its own Python takes only CPU nobody else wants. The
database work its jobs cause does not: the PostgreSQL backend serving the worker runs at normal priority, and on
a machine whose cores the web servers and PostgreSQL share with the worker, a mail batch drawn during a rush took
that CPU from the orders (bench/registration_rush.py, 3,000 orders at c64: 241-253/s with the whole order's p99
at 333-384 ms; with the worker stopped for the rush 272/s and 273 ms, the mail no later). So in that mode a job
first waits while the kernel's CPU pressure (PSI, ``/proc/pressure/cpu``: the share of time some runnable task
waited for a core) stays at ``THRESHOLD`` or above, and at most ``LONGEST_WAIT_SECONDS``: under load that never ends
the jobs still run, that much later. A worker on a machine of its own, or an idle one, sees little pressure and
goes on after one short look; where the kernel has no PSI it never waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

PRESSURE_FILE = Path("/proc/pressure/cpu")
# At or above this share of time with a task waiting for CPU, the cores are taken: in 0.1 s windows, 0.52-0.86
# during a c64 rush on two cores, 0.00-0.11 while the worker drained its mail after it.
THRESHOLD = 0.4
# How long each look at the pressure lasts.
WINDOW_SECONDS = 0.1
# A job waits at most this long: mail still goes within a minute of a rush's last order.
LONGEST_WAIT_SECONDS = 30.0


def stalled_microseconds(path: Path = PRESSURE_FILE) -> int | None:
    """The kernel's total time (µs) during which some runnable task waited for a CPU; None without PSI."""
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        kind, *fields = line.split()
        if kind == "some":
            for field in fields:
                name, _, value = field.partition("=")
                if name == "total" and value.isdigit():
                    return int(value)
    return None


async def wait_for_spare_cpu(
    *,
    threshold: float = THRESHOLD,
    window: float = WINDOW_SECONDS,
    longest: float = LONGEST_WAIT_SECONDS,
    stalled: Callable[[], int | None] = stalled_microseconds,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Return once a ``window`` passes with less than ``threshold`` of it stalled, or after ``longest``; the
    seconds waited."""
    started = clock()
    before = stalled()
    while before is not None:
        looked = clock()
        await sleep(window)
        after = stalled()
        if after is None:
            break
        share = (after - before) / 1e6 / max(clock() - looked, 1e-6)
        if share < threshold or clock() - started >= longest:
            break
        before = after
    return clock() - started
