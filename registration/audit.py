"""The audit trail writer: who changed which order or registration from what to what (and when)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import StateChange


def state_change(
    entity: str, entity_id: UUID, from_status: str | None, to_status: str, actor: str, note: str = ""
) -> StateChange:
    return StateChange(
        entity=entity, entity_id=entity_id, from_status=from_status, to_status=to_status, actor=actor, note=note
    )


def record(
    db_session: AsyncSession,
    entity: str,
    entity_id: UUID,
    from_status: str | None,
    to_status: str,
    actor: str,
    note: str = "",
) -> None:
    db_session.add(state_change(entity, entity_id, from_status, to_status, actor, note))
