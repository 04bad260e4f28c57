"""What an event's registrations are compared with: a target head count and the previous edition."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, EventStatus
from events.services import get_event
from podium import audit
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_

_FIELDS = ("registration_target", "previous_edition")


async def set_target(db_session: AsyncSession, slug: str, target: int | None, previous_edition: str | None) -> Event:
    """The previous edition must be another event that exists (any status: last year's may be archived)."""
    event = await get_event(db_session, slug, with_children=False)
    if event.status == EventStatus.ARCHIVED:
        raise Conflict(N_("archived events are read-only"), field="status", code="event_archived")
    if previous_edition is not None:
        if previous_edition == event.slug:
            raise InvalidInput(N_("the previous edition is another event"), field="previous_edition")
        try:
            await get_event(db_session, previous_edition, with_children=False)
        except NotFound as exc:
            raise InvalidInput(exc.detail, field="previous_edition") from exc
    before = audit.snapshot(event, _FIELDS)
    event.registration_target = target
    event.previous_edition = previous_edition
    audit.record_updated(db_session, "event", event.id, before, audit.snapshot(event, _FIELDS), None, event_id=event.id)
    return event
