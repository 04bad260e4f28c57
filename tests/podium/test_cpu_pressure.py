"""An idle-class worker's jobs wait for spare CPU: the kernel's CPU pressure read, and the wait's rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.jobs.cpu_pressure import stalled_microseconds, wait_for_spare_cpu

PSI = "some avg10=97.31 avg60=61.02 avg300=20.50 total={some}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"


def test_the_stalled_time_is_the_some_lines_total(tmp_path: Path) -> None:
    pressure = tmp_path / "cpu"
    pressure.write_text(PSI.format(some=176950403))
    assert stalled_microseconds(pressure) == 176950403
    pressure.write_text("full avg10=0.00 total=5\n")  # no "some" line
    assert stalled_microseconds(pressure) is None
    pressure.write_text("some avg10=1.00 total=-\n")
    assert stalled_microseconds(pressure) is None
    assert stalled_microseconds(tmp_path / "missing") is None  # a kernel without PSI


def test_this_machines_pressure_is_read_where_the_kernel_has_it() -> None:
    if not Path("/proc/pressure/cpu").exists():
        pytest.skip("this kernel has no /proc/pressure/cpu (PSI): the wait is then none")
    first = stalled_microseconds()
    assert first is not None and first >= 0


class Machine:
    """A fake clock and PSI counter: each window of ``window`` seconds is stalled for its share in ``shares``
    (the last one repeats)."""

    def __init__(self, shares: list[float], *, psi: bool = True) -> None:
        self.shares = shares
        self.psi = psi
        self.now = 100.0
        self.stalled = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def read(self) -> int | None:
        return round(self.stalled * 1e6) if self.psi else None

    async def sleep(self, seconds: float) -> None:
        share = self.shares[min(len(self.sleeps), len(self.shares) - 1)]
        self.sleeps.append(seconds)
        self.now += seconds
        self.stalled += share * seconds

    async def wait(self, **limits: float) -> float:
        return await wait_for_spare_cpu(stalled=self.read, sleep=self.sleep, clock=self.clock, **limits)


async def test_a_job_goes_on_after_one_look_at_a_machine_with_cpu_to_spare() -> None:
    machine = Machine([0.1])
    assert await machine.wait(window=0.1) == pytest.approx(0.1)
    assert machine.sleeps == [0.1]


async def test_a_job_waits_while_the_cpu_is_contended_and_goes_on_once_it_is_not() -> None:
    machine = Machine([0.99, 0.95, 0.7, 0.2])
    assert await machine.wait(window=0.1, threshold=0.5) == pytest.approx(0.4)
    assert len(machine.sleeps) == 4


async def test_under_pressure_that_never_ends_a_job_waits_its_longest_then_runs() -> None:
    machine = Machine([1.0])
    waited = await machine.wait(window=0.25, longest=5.0)
    assert waited == pytest.approx(5.0)
    assert len(machine.sleeps) == 20


async def test_without_psi_a_job_never_waits() -> None:
    machine = Machine([1.0], psi=False)
    assert await machine.wait() == 0.0
    assert machine.sleeps == []
