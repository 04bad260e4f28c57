"""What badges do when registration data changes, without registration knowing about badges.

A transfer hands the registration to another person (and sets its ``transferred_at``): the badge
printed for the previous holder must stop working, so its version goes up in the same flush, which
revokes every token of the old printing. A new secret link alone (``secret_version``) keeps the badge:
the holder is the same person, and their badge may already be printed. Imports run one way, hence a flush hook (as in
``sessions.hooks``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import event, insert, inspect, update
from sqlalchemy.orm import Session

from badges.models import Badge
from badges.tokens import MAX_VERSION
from podium import audit
from podium.audit_models import AuditEntry
from podium.db import utcnow
from registration.models import Registration

_TRANSFERRED_KEY = "podium.badges.transferred_registrations"


def _holder_changed(target: Registration) -> bool:
    history = inspect(target).attrs.transferred_at.history
    return next(iter(history.added), None) is not None


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: Any, _instances: Any) -> None:
    for target in session.dirty:
        if isinstance(target, Registration) and _holder_changed(target):
            session.info.setdefault(_TRANSFERRED_KEY, set()).add(target.id)


@event.listens_for(Session, "after_flush_postexec")
def _apply(session: Session, _context: Any) -> None:
    transferred: set[UUID] = session.info.pop(_TRANSFERRED_KEY, set())
    if transferred:
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


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_TRANSFERRED_KEY, None)
