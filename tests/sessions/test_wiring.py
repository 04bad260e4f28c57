"""Importing the program wires nothing: the composition root installs the one flush hook it needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imports every module of the sessions package, then prints which of its listeners are on ``Session``.
_PROBE = """
import importlib, pkgutil, sys
import sessions
for module in pkgutil.iter_modules(sessions.__path__):
    importlib.import_module(f"sessions.{module.name}")
from sqlalchemy import event
from sqlalchemy.orm import Session
from sessions import hooks
def installed():
    return [name for name, listener in hooks.LISTENERS if event.contains(Session, name, listener)]
print(",".join(installed()) or "none")
if sys.argv[1:] == ["app"]:
    from podium.main.app import create_app
    create_app()
    create_app()
    print(",".join(installed()) or "none")
"""


def _probe(*args: str) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite+aiosqlite:///:memory:"},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.split()


def test_importing_sessions_installs_no_session_listener() -> None:
    assert _probe() == ["none"]


def test_building_the_app_installs_the_seat_release_hook() -> None:
    before, after = _probe("app")

    assert before == "none"
    assert after == "before_flush,after_flush_postexec,after_soft_rollback"
