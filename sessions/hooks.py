"""Seats given back when a registration ends, without registration knowing about the program.

Imports run one way (registration never imports sessions), and a registration ends on many paths
(self-cancellation, an expired hold, a rejected verification, an organizer), so this is a flush hook: the
reserved session seats of a registration that became cancelled or expired are given back, and its agenda
cleared, in the same transaction. Importing this module installs nothing: the composition root attaches it to
the session makers it builds (``install``, called by ``podium.main.unit_of_work``), never to SQLAlchemy's global
``Session``, so what runs on a flush is decided in one visible place.

What holds: the app's sessions, the job worker's (the embedded one and ``podium worker``: the hold sweep expires
registrations) and the CLI commands' come from those makers, and so do the tests' helpers. The demo data and the
benchmarks seed through ``podium.db.session_maker`` (the kernel's hooks only): they create registrations, never end
one. A session opened any other way that ends a registration leaves its seats taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from podium.db import listen_on
from registration.models import Registration
from sessions.models import AgendaItem, ProgramSession

_ENDED_KEY = "podium.sessions.ended_registrations"
_ENDED = {"cancelled", "expired"}


def _status_ended(target: Registration) -> bool:
    history = inspect(target).attrs.status.history
    return next(iter(history.added), None) in _ENDED and next(iter(history.deleted), None) not in _ENDED


def _collect(session: Session, _context: Any, _instances: Any) -> None:
    for target in session.dirty:
        if isinstance(target, Registration) and _status_ended(target):
            session.info.setdefault(_ENDED_KEY, set()).add(target.id)


def _apply(session: Session, _context: Any) -> None:
    ended: set[UUID] = session.info.pop(_ENDED_KEY, set())
    if ended:
        release_seats(session, ended)


def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_ENDED_KEY, None)


LISTENERS = (("before_flush", _collect), ("after_flush_postexec", _apply), ("after_soft_rollback", _forget))


def install(maker: Callable[[], AsyncSession]) -> None:
    """Give back a registration's seats when it ends, in the sessions ``maker`` opens (once however often called)."""
    listen_on(maker, LISTENERS)


def release_seats(session: Session, registration_ids: set[UUID]) -> None:
    """Give back every seat these registrations reserved and clear their agendas."""
    connection = session.connection()
    mine = (AgendaItem.registration_id.in_(registration_ids)) & AgendaItem.reserved.is_(True)
    held_here = (
        select(func.count())
        .where(mine, AgendaItem.session_id == ProgramSession.id)
        .correlate(ProgramSession)
        .scalar_subquery()
    )
    connection.execute(
        update(ProgramSession)
        .where(ProgramSession.id.in_(select(AgendaItem.session_id).where(mine)))
        .values(seats_taken=ProgramSession.seats_taken - held_here)
    )
    connection.execute(delete(AgendaItem).where(AgendaItem.registration_id.in_(registration_ids)))
