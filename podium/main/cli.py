"""The ``podium`` command: Litestar's CLI (``podium run``, ``podium routes`` …) plus our own commands."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any, cast

import click
from alembic import command
from alembic.config import Config
from litestar.plugins import CLIPluginProtocol

from podium.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(settings: Settings) -> Config:
    """Alembic config for ``settings``' database; the same migrations plain ``alembic upgrade head`` runs."""
    ini = REPO_ROOT / "alembic.ini"
    if not ini.exists():
        raise click.ClickException(f"alembic.ini not found at {ini}: install Podium from a checkout (pip install -e .)")
    config = Config(str(ini))
    config.attributes["settings"] = settings
    config.attributes["configure_logging"] = False
    return config


def migrate(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(settings), revision)


@click.command("migrate")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def migrate_command(revision: str) -> None:
    """Apply database migrations (the database DATABASE_URL names, or the local SQLite file)."""
    settings = Settings.from_env()
    migrate(settings, revision)
    click.echo(f"database at {revision}: {_safe_url(settings.database_url)}")


@click.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` empties the database)."""
    downgrade(Settings.from_env(), revision)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice(["organizer", "staff"]), default="organizer", show_default=True)
@click.password_option(envvar="PODIUM_NEW_PASSWORD", help="At least 12 characters; prompted for if not given.")
def create_user_command(email: str, display_name: str, role: str, password: str) -> None:
    """Create an organizer (the first one, say) or a staff account."""
    import msgspec

    from podium.auth.schemas import UserCreate

    try:
        data = msgspec.convert(
            {"email": email, "display_name": display_name, "password": password, "role": role}, UserCreate
        )
    except msgspec.ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    asyncio.run(_create_user(Settings.from_env(), data))
    click.echo(f"created {role} {email}")


async def _create_user(settings: Settings, data: object) -> None:
    from podium.auth import services
    from podium.auth.schemas import UserCreate
    from podium.db import create_engine, session_maker
    from podium.errors import DomainError

    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            await services.create_user(db_session, cast(UserCreate, data))
            await db_session.commit()
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    finally:
        await engine.dispose()


@click.command("seed-demo")
@click.option("--rooms", default=40, show_default=True, help="Rooms at the Annual Meeting (size knob).")
@click.option("--registrations", default=0, show_default=True, help="Paid Annual Meeting registrations (size knob).")
@click.option("--agendas", default=0, show_default=True, help="Of those, attendees with a personal agenda (size knob).")
@click.option("--reset", is_flag=True, help="Delete the demo events first and seed them again.")
def seed_demo_command(rooms: int, registrations: int, agendas: int, reset: bool) -> None:
    """Seed the demo events and an organizer and a staff login (printed here)."""
    from demo.seed import DemoSize, seed_demo

    settings = Settings.from_env()
    report = asyncio.run(
        seed_demo(settings, DemoSize(rooms=rooms, registrations=registrations, agendas=agendas), reset=reset)
    )
    click.echo(report)


@click.command("reconcile-payments")
def reconcile_payments_command() -> None:
    """Ask Stripe about open card payments and apply what lost webhooks missed; send pending refunds."""
    counts = asyncio.run(_reconcile(Settings.from_env()))
    click.echo(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "no open card payments")


async def _reconcile(settings: Settings) -> dict[str, int]:
    from podium.db import create_engine, session_maker
    from registration.stripe_provider import standalone_provider
    from registration.tasks import reconcile_payments

    if not settings.stripe_secret_key:
        raise click.ClickException("Stripe is not configured (STRIPE_SECRET_KEY)")
    engine = create_engine(settings)
    try:
        async with standalone_provider(settings) as provider:
            return await reconcile_payments(session_maker(engine), provider)
    finally:
        await engine.dispose()


@click.command("send-refunds")
@click.option("--every", type=float, default=0.0, help="Keep sending, one round every this many seconds.")
@click.option("--rounds", type=int, default=0, help="With --every: stop after this many rounds (0: never).")
def send_refunds_command(every: float, rounds: int) -> None:
    """Send card refunds that are pending (or whose sender's claim ran out) to Stripe, each exactly once.

    Safe beside every other sender (web workers, other runs of this): each refund is claimed before it is
    sent (``registration.refund_sender``)."""
    sent = asyncio.run(_send_refunds(Settings.from_env(), every=every, rounds=rounds))
    click.echo(f"refunds sent: {sent}")


async def _send_refunds(settings: Settings, *, every: float, rounds: int) -> int:
    from podium.db import create_engine, session_maker
    from registration.refund_jobs import send_pending_refunds
    from registration.stripe_provider import standalone_provider

    if not settings.stripe_secret_key:
        raise click.ClickException("Stripe is not configured (STRIPE_SECRET_KEY)")
    engine = create_engine(settings)
    sent, done = 0, 0
    try:
        async with standalone_provider(settings) as provider:
            while True:
                async with session_maker(engine)() as db_session:
                    sent += await send_pending_refunds(db_session, provider)
                done += 1
                if every <= 0 or (rounds and done >= rounds):
                    return sent
                await asyncio.sleep(every)
    finally:
        await engine.dispose()


@click.command("print-badges")
@click.option("--event", "event_slug", required=True, help="The event's slug.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True, help="PDF to write.")
@click.option(
    "--layout",
    type=click.Choice(["4x3", "a6", "letter-6up", "a4-4up"]),
    default="4x3",
    show_default=True,
    help="One badge per page (4x3 in, A6) or label sheets (six 4x3 on Letter, four A6 on A4).",
)
@click.option("--category", "categories", multiple=True, help="Only this category code (repeatable).")
@click.option("--surname-from", default="", help="Surnames from these letters on (inclusive).")
@click.option("--surname-to", default="", help="Surnames up to these letters (inclusive, by prefix).")
@click.option("--not-printed", is_flag=True, help="Only badges never printed before.")
def print_badges_command(
    event_slug: str,
    output: str,
    layout: str,
    categories: tuple[str, ...],
    surname_from: str,
    surname_to: str,
    not_printed: bool,
) -> None:
    """Print a batch of badges as one PDF, sorted by surname; they are marked printed."""
    import msgspec

    from badges.schemas import PrintFilter

    try:
        selection = msgspec.convert(
            {
                "categories": list(categories),
                "surname_from": surname_from,
                "surname_to": surname_to,
                "not_printed": not_printed,
                "layout": layout,
            },
            PrintFilter,
        )
    except msgspec.ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    pdf, count = asyncio.run(_print_badges(Settings.from_env(), event_slug, selection))
    Path(output).write_bytes(pdf)
    click.echo(f"{count} badges written to {output}")


async def _print_badges(settings: Settings, event_slug: str, selection: object) -> tuple[bytes, int]:
    from collections.abc import Sequence

    from badges.pdf import BadgeCard, render_badges
    from badges.printing import mark_printed, prepare_batch
    from badges.schemas import PrintFilter
    from podium.db import create_engine, session_maker
    from podium.errors import DomainError
    from podium.pdf_fonts import missing_fonts

    for sentence in missing_fonts():  # before the batch, not discovered on the printed badges
        click.echo(f"warning: {sentence}", err=True)

    def render(cards: Sequence[BadgeCard], layout: str) -> bytes:
        with click.progressbar(length=len(cards), label="rendering badges", file=sys.stderr) as bar:
            done = 0

            def progress(now: int, _total: int) -> None:
                nonlocal done
                bar.update(now - done)
                done = now

            return render_badges(cards, cast(Any, layout), progress)

    engine = create_engine(settings)
    wanted = cast(PrintFilter, selection)
    try:
        async with session_maker(engine)() as db_session:
            batch = await prepare_batch(db_session, event_slug, wanted, settings.secret_key)
            await db_session.commit()  # the badges made for it are kept; no transaction stays open while drawing
            pdf, count = render(batch.cards, wanted.layout), len(batch.cards)
            await mark_printed(db_session, batch.event_id, batch.drawn, actor="cli")
            await db_session.commit()
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    finally:
        await engine.dispose()
    return pdf, count


# Enough paid attendees (with agendas and badges) to look around; `seed-demo --registrations N` for more.
DEMO_ATTENDEES = 24


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
def demo_command(host: str, port: int) -> None:
    """Migrate, seed the demo data and serve it: the one command for a first look."""
    from demo.badges import demo_badges_pdf
    from demo.seed import DemoSize, seed_demo

    base = f"http://{_reachable_host(host)}:{port}"
    # Links in mails and feeds must open where this server listens (a phone needs the machine's address);
    # the app factory reads the environment, so the default is set there. An explicit PODIUM_BASE_URL stands.
    os.environ.setdefault("PODIUM_BASE_URL", base)
    settings = Settings.from_env()
    click.echo(f"Preparing the database: {_safe_url(settings.database_url)}")
    migrate(settings)
    click.echo("Seeding the demo events (first run: about half a minute) ...")
    report = asyncio.run(seed_demo(settings, DemoSize(registrations=DEMO_ATTENDEES, agendas=DEMO_ATTENDEES)))
    click.echo(report.data)
    pdf = asyncio.run(demo_badges_pdf(settings))
    base = settings.base_url
    lines = [f"\nPodium is running at {base}  (API docs: {base}/schema; Ctrl+C stops it)"]
    lines.append(f"Links in mails and feeds point to PODIUM_BASE_URL={base}")
    if settings.smtp_host:
        lines.append(f"Mail goes out through {settings.smtp_host}:{settings.smtp_port}")
    else:
        lines.append(f"Mail is not sent: each message is written to {settings.data_dir / 'mail'} as an .eml file")
    if pdf:
        badges = settings.data_dir / "demo-badges.pdf"
        badges.write_bytes(pdf)
        lines.append(f"Demo badges to scan: {badges}")
        lines.append(f"Scanner (log in as staff): {base}/staff/events/annual-meeting-2027/scanner")
    lines.append(f"Log in at {base}/login")
    lines.append(report.logins)
    click.echo("Starting the server ...")
    # uvicorn re-raises Ctrl+C once it has shut down cleanly; that is the normal way to stop the demo.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_then_say(host, port, settings, "\n".join(lines)))


def _reachable_host(host: str) -> str:
    """The address others reach a server on ``host`` by: for "all interfaces", this machine's LAN address."""
    if host not in {"0.0.0.0", "::", ""}:  # noqa: S104  (comparing, not binding)
        return host
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a documentation address: no packet is sent, only a route chosen
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


async def _serve_then_say(host: str, port: int, settings: Settings, greeting: str) -> None:
    """Serve the app and print ``greeting`` once it listens, so the logins are the last lines on the terminal."""
    import uvicorn

    class GreetingServer(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                click.echo(greeting)

    # Podium reads X-Forwarded-For itself, from PODIUM_TRUSTED_PROXIES only (podium/client_address.py).
    # uvicorn's own lines (and its access log) follow PODIUM_LIBRARY_LOG_LEVEL like every library's.
    config = uvicorn.Config(
        "podium.main.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=settings.library_log_level.lower(),
        proxy_headers=False,
    )
    await GreetingServer(config).serve()


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 100), default=None, help="Jobs at once (PODIUM_JOB_CONCURRENCY).")
def worker_command(concurrency: int | None) -> None:
    """Run background jobs (mail, refunds, sweeps) until stopped; start as many as you like, on any machine."""
    import dataclasses
    import logging

    import podium.main.app  # noqa: F401  (the composition imports every module that registers jobs)
    from podium.jobs.runtime import run_worker

    settings = Settings.from_env()
    if settings.log_format == "json":  # the web workers' JSON lines (podium/log_config.py), for one collector
        from podium.log_config import logging_config

        logging_config(settings).configure()
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if concurrency is not None:
        settings = dataclasses.replace(settings, job_concurrency=concurrency)
    click.echo(f"job worker on {_safe_url(settings.database_url)}, {settings.job_concurrency} at once", err=True)
    asyncio.run(run_worker(settings))


@click.group("jobs")
def jobs_group() -> None:
    """Look at background jobs and queue failed ones again."""


@jobs_group.command("list")
@click.option(
    "--state",
    type=click.Choice(["todo", "doing", "failed", "cancelled", "aborted"]),
    default=None,
    help="Only jobs in this state (succeeded jobs are not kept).",
)
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
def jobs_list_command(state: str | None, limit: int) -> None:
    """One line per job, newest first: id, state, tries, task and its arguments."""
    import json

    from podium.jobs import services

    for job in asyncio.run(_with_job_app(lambda app: services.list_jobs(app, state, limit=limit))):
        args = json.dumps(job.args, sort_keys=True)
        click.echo(f"{job.id}\t{job.state}\t{job.attempts}\t{job.task}\t{args}")


@jobs_group.command("retry")
@click.argument("job_id", type=click.IntRange(1, 2**53 - 1))
def jobs_retry_command(job_id: int) -> None:
    """Queue the failed job JOB_ID again, now, with the same arguments."""
    from podium.errors import DomainError
    from podium.jobs import services

    try:
        job = asyncio.run(_with_job_app(lambda app: services.retry_job(app, job_id, actor="cli")))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"job {job.id} ({job.task}) is queued again")


@jobs_group.command("run")
def jobs_run_command() -> None:
    """Run the jobs that are due now, then stop (no worker left running)."""
    import podium.main.app  # noqa: F401  (registers every job)
    from podium.jobs.runtime import run_due_jobs

    asyncio.run(run_due_jobs(Settings.from_env()))


async def _with_job_app(use: Any) -> Any:
    import podium.main.app  # noqa: F401  (registers every job)
    from podium.jobs.runtime import create_job_app

    app = create_job_app(Settings.from_env(), periodic=False, pool_size=1)
    async with app.open_async():
        return await use(app)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class PodiumCLIPlugin(CLIPluginProtocol):
    """Adds our commands next to Litestar's own (``run``, ``routes``, ``schema``)."""

    def on_cli_init(self, cli: click.Group) -> None:
        for cmd in (
            migrate_command,
            downgrade_command,
            create_user_command,
            seed_demo_command,
            demo_command,
            reconcile_payments_command,
            send_refunds_command,
            print_badges_command,
            worker_command,
            jobs_group,
        ):
            cli.add_command(cmd)


def main() -> None:
    """Entry point of the ``podium`` console script."""
    os.environ.setdefault("LITESTAR_APP", "podium.main.app:create_app")
    # ``podium run`` starts uvicorn, which by default rewrites the client address from X-Forwarded-For sent
    # through 127.0.0.1; Podium decides whom to believe itself (PODIUM_TRUSTED_PROXIES), so uvicorn trusts nobody.
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    from litestar.cli.main import litestar_group

    from sessions.hooks import install as install_session_hooks

    install_session_hooks()  # the worker and the commands end registrations too (sessions/hooks.py)
    litestar_group()
