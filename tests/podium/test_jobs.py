"""The job queue (procrastinate; our connector on SQLite): a job that raises is retried with backoff and ends
failed, visible in the API, the page's data and the CLI; an organizer's retry runs it again; periodic jobs are
deferred by the library; a commit that writes mail wakes the mail job; and two ``podium worker`` processes never
run one job twice. On SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import msgspec
import pytest
from click.testing import CliRunner
from procrastinate import App
from procrastinate.types import JSONDict
from sqlalchemy import select

from podium.db import create_engine
from podium.jobs import runtime as job_runtime
from podium.jobs.runtime import ExponentialBackoff, create_job_app, cron_every, defer_job, run_due_jobs, run_worker
from podium.jobs.services import list_jobs
from podium.jobs.web import WebJobs
from podium.main.job_commands import jobs_group
from podium.main.unit_of_work import session_maker
from podium.outbox import SEND_MAIL_JOB
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration import tasks as registration_tasks
from registration.documents.services import NUMBER_DOCUMENTS_JOB
from registration.mail import held as held_mail
from registration.models import Document, Order
from registration.payments.services import OfflineTestProvider
from registration.schemas import OrderCreate
from registration.tasks import SWEEP_JOB, sweep_expired_holds
from tests.asgi_client import Client
from tests.podium.job_fixtures import ALWAYS_FAILS, FAILS_WHILE_FLAGGED, RECORD_RUN
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body, place_committed

REPO = Path(__file__).resolve().parents[2]


async def defer(settings: Settings, name: str, **kwargs: Any) -> int | None:
    app = create_job_app(settings, periodic=False, pool_size=1)
    async with app.open_async():
        return await defer_job(app, name, **kwargs)


async def jobs_in(settings: Settings, state: str | None = None) -> list[Any]:
    app = create_job_app(settings, periodic=False, pool_size=1)
    async with app.open_async():
        return await list_jobs(app, state, limit=500)


async def wait_for(condition: Callable[[], Any], within: float = 30.0) -> None:
    """Wait on a state, never a fixed sleep: poll the condition until it holds or time is up."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("the state waited for never came")
        await asyncio.sleep(0.05)


async def run_once_queued(settings: Settings, job_name: str) -> None:
    """Run the due jobs once the requests' ``job_name`` is queued. On PostgreSQL a request's job is deferred just
    after its commit, off the request's path (``podium.jobs.web``; a second one within 0.2 s follows the first),
    so wait until it is queued rather than race it; SQLite queues it in the request's own transaction."""
    if not settings.is_sqlite:

        async def queued() -> bool:
            return job_name in [job.task for job in await jobs_in(settings, "todo")]

        await wait_for(queued, within=10)
    await run_due_jobs(settings, session_maker)


@pytest.fixture
def retrying(settings: Settings) -> Settings:
    return dataclasses.replace(settings, job_retries=2, job_retry_backoff_seconds=0)


async def test_a_job_that_raises_is_retried_then_failed_and_listed(
    retrying: Settings, client: Client, organizer: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    job_id = await defer(retrying, ALWAYS_FAILS, reason="smtp down")

    with caplog.at_level(logging.WARNING, logger="podium.jobs"):
        await run_due_jobs(retrying, session_maker)
    listed = await client.get("/api/jobs", params={"state": "failed"}, headers=organizer)

    failed = [job for job in listed.json() if job["id"] == job_id]
    assert listed.status_code == 200
    assert failed == [
        {
            "id": job_id,
            "task": ALWAYS_FAILS,
            "state": "failed",
            "args": {"reason": "smtp down"},
            "attempts": 3,
            "queue": "default",
            "scheduled_at": failed[0]["scheduled_at"],
        }
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "podium.jobs" and str(job_id) in r.getMessage()]
    assert logged == [f"job {ALWAYS_FAILS}[{job_id}](reason='smtp down') failed on attempt {n}" for n in (1, 2, 3)]


async def test_retry_queues_a_failed_job_again_and_it_runs(
    retrying: Settings, client: Client, organizer: dict[str, str], tmp_path: Path
) -> None:
    flag = tmp_path / "broken"
    flag.write_text("x")
    job_id = await defer(retrying, FAILS_WHILE_FLAGGED, flag=str(flag))
    await run_due_jobs(retrying, session_maker)
    flag.unlink()  # the cause is fixed

    retried = await client.post(f"/api/jobs/{job_id}/retry", headers=organizer)
    again = await client.post(f"/api/jobs/{job_id}/retry", headers=organizer)
    await run_due_jobs(retrying, session_maker)

    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["args"]) == ("todo", {"flag": str(flag)})
    assert (again.status_code, again.json()["code"]) == (409, "job_not_failed")
    assert await anyio.Path(f"{flag}.done").read_text() == "ok"
    assert job_id not in [job.id for job in await jobs_in(retrying)]  # it succeeded: succeeded jobs aren't kept


async def test_jobs_api_refuses_others_and_bad_input(
    settings: Settings, client: Client, organizer: dict[str, str], staff: dict[str, str]
) -> None:

    anonymous = await client.get("/api/jobs")
    as_staff = await client.get("/api/jobs", headers=staff)
    staff_retry = await client.post("/api/jobs/1/retry", headers=staff)
    unknown = await client.post("/api/jobs/999999/retry", headers=organizer)
    bad_state = await client.get("/api/jobs", params={"state": "exploded"}, headers=organizer)
    huge_id = await client.post(f"/api/jobs/{2**70}/retry", headers=organizer)
    misspelt = await client.get("/api/jobs", params={"stat": "failed"}, headers=organizer)

    assert (anonymous.status_code, as_staff.status_code, staff_retry.status_code) == (401, 403, 403)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "job_not_found")
    assert bad_state.status_code in (400, 422)
    assert huge_id.status_code in (400, 404, 422)
    assert (misspelt.status_code, misspelt.json()["field"]) == (422, "stat")


def test_cli_lists_failed_jobs_and_retries_them(retrying: Settings, tmp_path: Path) -> None:
    flag = tmp_path / "cli-broken"
    flag.write_text("x")
    job_id = asyncio.run(defer(retrying, FAILS_WHILE_FLAGGED, flag=str(flag)))
    asyncio.run(run_due_jobs(retrying, session_maker))
    env = {
        "DATABASE_URL": retrying.database_url,
        "PODIUM_DATA_DIR": str(retrying.data_dir),
        "PODIUM_SECRET_KEY": retrying.secret_key,
        "PODIUM_ENV": "test",
    }
    runner = CliRunner()

    listed = runner.invoke(jobs_group, ["list", "--state", "failed"], env=env)
    retried = runner.invoke(jobs_group, ["retry", str(job_id)], env=env)
    twice = runner.invoke(jobs_group, ["retry", str(job_id)], env=env)

    assert listed.exit_code == 0, listed.output
    assert f'{job_id}\tfailed\t3\t{FAILS_WHILE_FLAGGED}\t{{"flag": "{flag}"}}' in listed.output.splitlines()
    assert (retried.exit_code, retried.output) == (0, f"job {job_id} ({FAILS_WHILE_FLAGGED}) is queued again\n")
    assert twice.exit_code == 1
    assert f"job {job_id} is todo, not failed" in twice.output


async def test_a_commit_that_writes_mail_wakes_the_mail_job(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    # whatever is waiting from earlier runs now, so the next wake-up is the payment's
    await run_due_jobs(settings, session_maker)

    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})

    async def mail_job_waits() -> bool:
        return SEND_MAIL_JOB in [job.task for job in await jobs_in(settings, "todo")]

    await wait_for(mail_job_waits, within=10)
    assert paid.status_code == 200
    assert [job.task for job in await jobs_in(settings, "todo")].count(SEND_MAIL_JOB) == 1


async def test_the_periodic_sweep_ends_an_expired_hold(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        data = msgspec.convert(order_body(attendee()), OrderCreate)
        order, _ = await place_committed(
            db_session,
            event_slug=catalog.slug,
            data=data,
            provider=OfflineTestProvider(),
            now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        )
    sweeping = dataclasses.replace(settings, hold_sweep_seconds=1)

    async def expired() -> bool:
        async with db_session_for(settings) as db_session:
            return await db_session.scalar(select(Order.status).where(Order.id == order.id)) == "expired"

    worker = asyncio.create_task(run_worker(sweeping, session_maker, name="sweep-test", install_signal_handlers=False))
    try:
        await wait_for(expired)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)

    assert await expired()
    assert [job.task for job in await jobs_in(settings, "failed") if job.task == SWEEP_JOB] == []


async def test_the_sweep_writes_the_held_mails_of_orders_left_unpaid_batch_after_batch(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(held_mail, "BATCH", 2)
    monkeypatch.setattr(registration_tasks, "HELD_MAIL_BATCH", 2)
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    orders = []
    for _ in range(3):
        async with db_session_for(settings) as db_session:
            order, _ = await place_committed(
                db_session,
                event_slug=catalog.slug,
                data=msgspec.convert(order_body(attendee()), OrderCreate),
                provider=OfflineTestProvider(),
                now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),  # its hold of 15 minutes still runs
            )
            orders.append(order.id)

    engine = create_engine(settings)
    try:
        swept = await sweep_expired_holds(session_maker(engine), offer_hours=24)
    finally:
        await engine.dispose()

    async with db_session_for(settings) as db_session:
        keys = list(
            await db_session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.template == "order_held"))
        )
    assert sorted(k for k in keys if k.removeprefix("order-held:") in {str(o) for o in orders}) == sorted(
        f"order-held:{o}" for o in orders
    )
    assert swept["held_mails"] == len(keys) >= 3


async def test_a_worker_cancelled_whose_own_shutdown_fails_stops_instead_of_starting_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[str] = []
    running = asyncio.Event()

    async def worker_whose_shutdown_fails(self: App, **options: Any) -> None:
        starts.append(options["name"])
        running.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("database is locked") from None  # as procrastinate's unregister_worker raised

    monkeypatch.setattr(App, "run_worker_async", worker_whose_shutdown_fails)
    worker = asyncio.create_task(run_worker(settings, session_maker, name="stopping", install_signal_handlers=False))
    await asyncio.wait_for(running.wait(), timeout=30)

    worker.cancel()
    done, _ = await asyncio.wait({worker}, timeout=30)

    assert done == {worker} and worker.cancelled()
    assert starts == ["stopping"]


def test_retry_waits_grow_exponentially() -> None:
    strategy = ExponentialBackoff(retries=3, backoff_seconds=2)

    def wait(attempts: int) -> float | None:
        from procrastinate.jobs import Job

        job = Job(id=1, queue="default", lock=None, queueing_lock=None, task_name="t", attempts=attempts)
        decision = strategy.get_retry_decision(exception=RuntimeError(), job=job)
        if decision is None or decision.retry_at is None:
            return None
        return round((decision.retry_at - dt.datetime.now(dt.UTC)).total_seconds())

    assert [wait(n) for n in range(4)] == [2, 4, 8, None]
    assert (cron_every(30), cron_every(0.3), cron_every(300), cron_every(7200)) == (
        "* * * * * */30",
        "* * * * * */1",
        "*/5 * * * *",
        "0 */2 * * *",
    )


WORKER_NICE = 7


@pytest.fixture
def worker_processes(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., list[int]]]:
    """Start ``podium worker`` processes on the test's database, as production would; stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "PODIUM_DATA_DIR": str(tmp_path / "data"),
        "PODIUM_SECRET_KEY": settings.secret_key,
        "PODIUM_ENV": "test",
        "PODIUM_JOB_MODULES": "tests.podium.job_fixtures",
        "PODIUM_JOB_CONCURRENCY": "4",
        "PODIUM_HOLD_SWEEP_SECONDS": "0",
        "PODIUM_MAIL_DRAIN_SECONDS": "0",
        "PODIUM_WORKER_NICE": str(WORKER_NICE),
        # Outside the idle scheduling class (the default, ``test_a_worker_runs_in_the_idle_class``): beside the
        # other test processes that keep both cores busy in CI, an idle-class worker would get almost no CPU.
        "PODIUM_WORKER_IDLE": "false",
        "PYTHONPATH": str(REPO),
    }

    def start(count: int, **env_overrides: str) -> list[int]:
        """Start ``count`` more, with these environment variables changed; their process ids."""
        for n in range(count):
            log = (tmp_path / f"worker-{n}.log").open("wb")
            logs.append(log)
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "podium.main", "worker"],
                    cwd=REPO,
                    env=env | env_overrides,
                    stdout=log,
                    stderr=log,
                )
            )
        return [process.pid for process in started[-count:]]

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in logs:
        log.close()


async def test_two_worker_processes_never_run_a_job_twice(
    settings: Settings, tmp_path: Path, worker_processes: Callable[..., list[int]]
) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    app = create_job_app(settings, periodic=False, pool_size=1)
    async with app.open_async():
        runs: list[JSONDict] = [{"folder": str(folder), "n": n} for n in range(200)]
        await app.configure_task(RECORD_RUN).batch_defer_async(*runs)

    worker_processes(2)
    # Each runs at the niceness it was given (or its parent's, if that is lower priority already): requests
    # on the same machine come first.
    expected = max(WORKER_NICE, os.getpriority(os.PRIO_PROCESS, 0))

    async def all_ran() -> bool:
        return len(list(folder.iterdir())) >= 200 and not [
            job for job in await jobs_in(settings) if job.task == RECORD_RUN and job.state in ("todo", "doing")
        ]

    await wait_for(all_ran, within=90)
    pids = {path.read_text() for path in folder.iterdir()}
    failed = [job for job in await jobs_in(settings, "failed") if job.task == RECORD_RUN]
    assert sorted(int(path.name) for path in folder.iterdir()) == list(range(200))
    assert failed == []  # a second run of any of them would have failed on its file
    assert len(pids) == 2  # both workers took jobs
    assert [os.getpriority(os.PRIO_PROCESS, int(pid)) for pid in sorted(pids)] == [expected, expected]
    if hasattr(os, "SCHED_IDLE"):  # asked not to run in the idle class: in the normal one
        assert [os.sched_getscheduler(int(pid)) for pid in sorted(pids)] == [os.SCHED_OTHER, os.SCHED_OTHER]


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="the idle scheduling class is Linux's (os.SCHED_IDLE)")
async def test_a_worker_runs_in_the_idle_class(tmp_path: Path, worker_processes: Callable[..., list[int]]) -> None:
    """By default a worker takes only the CPU the web workers and PostgreSQL leave (``PODIUM_WORKER_IDLE``)."""
    [pid] = worker_processes(1, PODIUM_WORKER_IDLE="true")  # the default, as production runs it
    log = tmp_path / "worker-0.log"

    async def started() -> bool:  # it says so once it has moved, before it takes any job
        return log.exists() and "(idle class" in log.read_text()

    await wait_for(started, within=60)
    assert os.sched_getscheduler(pid) == os.SCHED_IDLE


class _HeldDefers(WebJobs):
    """The web's kicker with its defers held open until released, as over a slow connection."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, engine=None, unit_of_work=session_maker)
        self.deferred: list[str] = []
        self.release = asyncio.Event()

    async def _defer(self, name: str) -> None:
        self.deferred.append(name)
        await self.release.wait()


async def test_kicks_during_a_defer_make_one_more_defer_after_it(settings: Settings) -> None:
    jobs = _HeldDefers(dataclasses.replace(settings, database_url="postgresql+asyncpg://nobody@127.0.0.1/none"))
    jobs.kick({SEND_MAIL_JOB})

    async def deferring() -> bool:
        return jobs.deferred == [SEND_MAIL_JOB]

    await wait_for(deferring)
    for _ in range(5):  # five commits while the first defer is under way
        jobs.kick({SEND_MAIL_JOB})
    jobs.kick({SWEEP_JOB})
    jobs.release.set()

    async def settled() -> bool:
        return not jobs._deferring

    await wait_for(settled)
    assert sorted(jobs.deferred) == sorted([SEND_MAIL_JOB, SEND_MAIL_JOB, SWEEP_JOB])


async def test_a_paid_receipt_is_numbered_by_the_job_its_payment_queued(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()

    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    if not settings.is_sqlite:  # SQLite numbers it in the payment's own transaction
        await wait_for(lambda: _waiting(settings, NUMBER_DOCUMENTS_JOB), within=10)
        await run_due_jobs(settings, session_maker)

    assert paid.status_code == 200
    async with db_session_for(settings) as db_session:
        numbers = (
            await db_session.scalars(select(Document.number).where(Document.order_id == UUID(order["id"])))
        ).all()
    assert numbers == [1]


async def _waiting(settings: Settings, name: str) -> bool:
    return name in [job.task for job in await jobs_in(settings, "todo")]


async def test_an_idle_class_workers_jobs_wait_for_spare_cpu_first(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``podium worker`` in the idle class runs a job only once the machine's CPU is not contended
    (``podium.jobs.cpu_pressure``, faked here as contended until released); a worker in the normal class never
    asks."""
    folder = tmp_path / "runs"
    folder.mkdir()
    asked = asyncio.Event()
    spare = asyncio.Event()

    async def contended_until_released() -> float:
        asked.set()
        await spare.wait()
        return 0.0

    monkeypatch.setattr(job_runtime, "wait_for_spare_cpu", contended_until_released)
    app = create_job_app(settings, periodic=False, pool_size=1)
    async with app.open_async():
        await app.configure_task(RECORD_RUN).defer_async(folder=str(folder), n=1)
    worker = asyncio.create_task(
        run_worker(settings, session_maker, name="idle-test", install_signal_handlers=False, idle_class=True)
    )
    try:
        await asyncio.wait_for(asked.wait(), timeout=30)
        assert list(folder.iterdir()) == []  # taken, and waiting
        spare.set()

        async def ran() -> bool:
            return (folder / "1").exists()

        await wait_for(ran)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)

    async def never_asked() -> float:
        raise AssertionError("a worker in the normal class waited for spare CPU")

    monkeypatch.setattr(job_runtime, "wait_for_spare_cpu", never_asked)
    async with app.open_async():
        await app.configure_task(RECORD_RUN).defer_async(folder=str(folder), n=2)
    await run_due_jobs(settings, session_maker)
    assert sorted(path.name for path in folder.iterdir()) == ["1", "2"]
