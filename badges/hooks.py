"""What badges do when registration data changes, without registration knowing about badges.

A transfer hands the registration to another person (and sets its ``transferred_at``): the badge
printed for the previous holder must stop working, so its version goes up in the same flush, which
revokes every token of the old printing. A new secret link alone (``secret_version``) keeps the badge:
the holder is the same person, and their badge may already be printed. Imports run one way, hence flush
hooks; they are installed by the composition root on the app's own sessions (``install``), never on
SQLAlchemy's global ``Session`` by importing this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import insert, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from badges.models import Badge
from badges.tokens import MAX_VERSION
from podium import audit
from podium.audit_models import AuditEntry
from podium.db import listen_on, utcnow
from registration.models import Registration

_TRANSFERRED_KEY = "podium.badges.transferred_registrations"


def _holder_changed(target: Registration) -> bool:
    history = inspect(target).attrs.transferred_at.history
    return next(iter(history.added), None) is not None


def collect_transfers(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: note the registrations whose holder this flush changes."""
    for target in session.dirty:
        if isinstance(target, Registration) and _holder_changed(target):
            session.info.setdefault(_TRANSFERRED_KEY, set()).add(target.id)


def revoke_transferred(session: Session, _context: Any) -> None:
    """After the flush wrote them: the noted registrations' badges get a new version, audited."""
    transferred: set[UUID] = session.info.pop(_TRANSFERRED_KEY, set())
    if not transferred:
        return
    revoked = session.connection().execute(
        update(Badge)
        .where(Badge.registration_id.in_(transferred), Badge.version < MAX_VERSION)
        .values(version=Badge.version + 1, updated_at=utcnow())
        .returning(Badge.id, Badge.event_id, Badge.version)
    )
    entries = [
        audit.as_row(
            audit.build(
                "badge",
                badge_id,
                "revoked",
                None,
                event_id=event_id,
                changes={"version": [version - 1, version]},
                note="registration transferred: the earlier printings no longer admit",
            )
        )
        for badge_id, event_id, version in revoked.all()
    ]
    if entries:
        session.connection().execute(insert(AuditEntry), entries)


def forget_transfers(session: Session, _previous: Any) -> None:
    session.info.pop(_TRANSFERRED_KEY, None)


LISTENERS = (
    ("before_flush", collect_transfers),
    ("after_flush_postexec", revoke_transferred),
    ("after_soft_rollback", forget_transfers),
)


def install(session_maker: Callable[[], AsyncSession]) -> None:
    """Make the sessions ``session_maker`` opens revoke a transferred registration's badge, and no other
    sessions (``podium.db.listen_on``)."""
    listen_on(session_maker, LISTENERS)
