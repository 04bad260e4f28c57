"""Importing badges changes nothing elsewhere (issue 15: no wiring by import side effect); the composition root
wires what badges add to other domains' work, on the sessions of every maker it builds and on no others."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from badges import hooks
from badges.mail_attachments import badge_attachments
from podium.auth.middleware import SESSION_MAKER_STATE_KEY
from podium.jobs.outbox_drain import ATTACHMENT_RENDERERS
from podium.main.unit_of_work import session_maker

ROOT = Path(__file__).resolve().parents[2]


def test_importing_every_badges_module_installs_no_listener_and_no_attachment() -> None:
    script = textwrap.dedent(
        """
        import importlib, pkgutil
        from sqlalchemy import event
        from sqlalchemy.orm import Session
        import badges
        for module in pkgutil.iter_modules(badges.__path__):
            importlib.import_module(f"badges.{module.name}")
        from badges import hooks
        from podium.jobs.outbox_drain import ATTACHMENT_RENDERERS
        print(sorted(name for name, fn in hooks.LISTENERS if event.contains(Session, name, fn)))
        print(sorted(ATTACHMENT_RENDERERS))
        """
    )

    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    listening, renderers = done.stdout.splitlines()
    assert listening == "[]"
    assert "badge" not in renderers


def test_the_app_revokes_on_its_own_sessions_and_attaches_badges(app: Litestar) -> None:
    maker: async_sessionmaker[AsyncSession] = app.state[SESSION_MAKER_STATE_KEY]

    on_app = [event.contains(maker.kw["sync_session_class"].class_, name, fn) for name, fn in hooks.LISTENERS]
    on_every_session = [event.contains(Session, name, fn) for name, fn in hooks.LISTENERS]

    assert on_app == [True, True, True]
    assert on_every_session == [False, False, False]
    assert ATTACHMENT_RENDERERS["badge"] is badge_attachments


def test_a_plain_session_maker_gets_a_session_class_of_its_own() -> None:
    maker: async_sessionmaker[AsyncSession] = async_sessionmaker()
    other: async_sessionmaker[AsyncSession] = async_sessionmaker()

    hooks.install(maker)
    hooks.install(maker)  # twice: still one listener each

    sync = maker.kw["sync_session_class"]
    assert [event.contains(sync.class_, name, fn) for name, fn in hooks.LISTENERS] == [True, True, True]
    assert sync.class_ is not Session and issubclass(sync.class_, Session)
    assert "sync_session_class" not in other.kw
    assert not any(event.contains(Session, name, fn) for name, fn in hooks.LISTENERS)


def test_the_jobs_and_the_cli_revoke_on_their_sessions_too() -> None:
    """A transfer made by a job or a CLI command revokes the old badge just as a request's does."""
    engine = create_async_engine("sqlite+aiosqlite://")
    maker = session_maker(engine)

    assert [event.contains(maker.kw["sync_session_class"].class_, name, fn) for name, fn in hooks.LISTENERS] == [
        True,
        True,
        True,
    ]
