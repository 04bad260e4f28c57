"""CPU seconds spent by the server, PostgreSQL and the benchmark itself, read from /proc (Linux only).

A benchmark on a 2-core machine is a budget: this says who spent it. Elsewhere the figures are None.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, user+system CPU seconds) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _all() -> dict[int, tuple[str, int, float]]:
    found = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def _serves(pid: int, database: str) -> bool:
    """Whether a postgres backend's process title names ``database`` (``postgres: user db host state``)."""
    try:
        return database in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _machine() -> dict[str, float]:
    """CPU seconds of the whole machine since boot, busy and idle (``/proc/stat``; idle counts I/O wait): what
    everything on it spent, our processes or not, and how much it had left. Time the hypervisor gave to other
    guests (steal) is neither."""
    try:
        user, nice, system, idle, iowait, irq, softirq = (
            int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
        )
    except (OSError, ValueError):
        return {}
    busy = user + nice + system + irq + softirq
    return {"machine busy": busy / _TICKS, "machine idle": (idle + iowait) / _TICKS}


def snapshot(server_pids: int | Iterable[int], database: str | None = None) -> dict[str, float] | None:
    """CPU seconds so far of the server process trees (one root or several), of postgres, and of this process.

    With ``database``, postgres counts only the backends connected to it (other work on a shared server
    stays out); a backend that exits takes its seconds with it, so keep the pool's connections open."""
    if not Path("/proc").is_dir():
        return None
    processes = _all()
    tree = {server_pids} if isinstance(server_pids, int) else set(server_pids)
    grew = True
    while grew:
        children = {pid for pid, (_, parent, _) in processes.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    per_process = {f"server[{p}]": processes[p][2] for p in sorted(tree) if p in processes}
    return {
        **per_process,
        **_machine(),
        "server": sum(per_process.values()),
        "postgres": sum(
            cpu
            for pid, (name, _, cpu) in processes.items()
            if name.startswith("postgres") and (database is None or _serves(pid, database))
        ),
        "client": usage.ru_utime + usage.ru_stime,
    }


def spent(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, float] | None:
    if before is None or after is None:
        return None
    return {key: round(after[key] - before[key], 2) for key in before if key in after}
