"""The ``podium`` command: Litestar's CLI (``podium run``, ``podium routes`` …) plus our own commands."""

from __future__ import annotations

import asyncio
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
    click.echo(f"database at {revision}: {safe_url(settings.database_url)}")


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
    from podium.db import create_engine
    from podium.errors import DomainError
    from podium.main.unit_of_work import session_maker

    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            await services.create_user(db_session, cast(UserCreate, data))
            await db_session.commit()
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    finally:
        await engine.dispose()


@click.command("reconcile-payments")
def reconcile_payments_command() -> None:
    """Ask Stripe about open card payments and apply what lost webhooks missed; send pending refunds."""
    counts = asyncio.run(_reconcile(Settings.from_env()))
    click.echo(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "no open card payments")


async def _reconcile(settings: Settings) -> dict[str, int]:
    from podium.db import create_engine
    from podium.main.unit_of_work import session_maker
    from registration.payments.stripe import standalone_provider
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
    sent (``registration.refunds.sender``)."""
    sent = asyncio.run(_send_refunds(Settings.from_env(), every=every, rounds=rounds))
    click.echo(f"refunds sent: {sent}")


async def _send_refunds(settings: Settings, *, every: float, rounds: int) -> int:
    from podium.db import create_engine
    from podium.main.unit_of_work import session_maker
    from registration.payments.stripe import standalone_provider
    from registration.refunds.jobs import send_pending_refunds

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
    from podium.db import create_engine
    from podium.errors import DomainError
    from podium.main.unit_of_work import session_maker
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


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class PodiumCLIPlugin(CLIPluginProtocol):
    """Adds our commands next to Litestar's own (``run``, ``routes``, ``schema``)."""

    def on_cli_init(self, cli: click.Group) -> None:
        # Imported here: those modules use this one's helpers (migrate, safe_url).
        from podium.main.demo_commands import demo_command, seed_demo_command
        from podium.main.job_commands import jobs_group, worker_command

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

    litestar_group()
