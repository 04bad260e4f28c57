"""``podium seed-demo`` and ``podium demo``: the demo data, and the one command for a first look."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import click

from podium.main.cli import migrate, safe_url
from podium.settings import Settings


@click.command("seed-demo")
@click.option("--rooms", default=40, show_default=True, help="Rooms at the Annual Meeting (size knob).")
@click.option("--registrations", default=0, show_default=True, help="Paid Annual Meeting registrations (size knob).")
@click.option("--agendas", default=0, show_default=True, help="Of those, attendees with a personal agenda (size knob).")
@click.option("--abstracts", default=3000, show_default=True, help="Submitted abstracts in the call (size knob).")
@click.option("--reviewers", default=300, show_default=True, help="Reviewers of the call (size knob).")
@click.option("--reset", is_flag=True, help="Delete the demo events first and seed them again.")
def seed_demo_command(
    rooms: int, registrations: int, agendas: int, abstracts: int, reviewers: int, reset: bool
) -> None:
    """Seed the demo events and an organizer and a staff login (printed here)."""
    from demo.seed import DemoSize, seed_demo

    settings = Settings.from_env()
    report = asyncio.run(
        seed_demo(
            settings,
            DemoSize(
                rooms=rooms, registrations=registrations, agendas=agendas, abstracts=abstracts, reviewers=reviewers
            ),
            reset=reset,
        )
    )
    click.echo(report)


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
    click.echo(f"Preparing the database: {safe_url(settings.database_url)}")
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
