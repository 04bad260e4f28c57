"""Registration's side of the audit trail (``podium.audit``): the older status-change signature, kept for its
callers, and which registration entities find their event from their own row (``AUDITED_ENTITIES``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.audit import Actor
from podium.audit_models import AuditEntry
from registration.models import (
    AddOn,
    Category,
    MailWording,
    Order,
    PromoCode,
    Question,
    Quota,
    Registration,
    RegistrationSettings,
    WaitlistEntry,
)

# Registration's entities whose entries may be recorded without an event: at flush they find it from their own row
# (``podium.audit.register_entity``). The composition root installs them with the domains' hooks
# (``podium.main.unit_of_work``); importing this module installs nothing.
AUDITED_ENTITIES: Mapping[str, type[Any]] = {
    "order": Order,
    "registration": Registration,
    "waitlist": WaitlistEntry,
    "category": Category,
    "add_on": AddOn,
    "quota": Quota,
    "promo_code": PromoCode,
    "question": Question,
    "registration_settings": RegistrationSettings,
    "mail_wording": MailWording,
}


def state_change(
    entity: str,
    entity_id: UUID,
    from_status: str | None,
    to_status: str,
    actor: Actor | str,
    note: str = "",
    *,
    event_id: UUID | None = None,
) -> AuditEntry:
    """An entry for something just created (its action is ``created``), not yet added to a session: the
    PostgreSQL order fast path writes its rows itself."""
    return audit.build(
        entity,
        entity_id,
        "created" if from_status is None else to_status,
        actor,
        event_id=event_id,
        changes={"status": [from_status, to_status]},
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def record(
    db_session: AsyncSession,
    entity: str,
    entity_id: UUID,
    from_status: str | None,
    to_status: str,
    actor: Actor | str,
    note: str = "",
    *,
    event_id: UUID | None = None,
    action: str | None = None,
    changes: Mapping[str, list[Any]] | None = None,
) -> AuditEntry:
    """``podium.audit.record``; the event is found from the order or registration when not given."""
    return audit.record(
        db_session,
        entity,
        entity_id,
        from_status,
        to_status,
        actor,
        note,
        event_id=event_id,
        action=action,
        changes=changes,
    )
