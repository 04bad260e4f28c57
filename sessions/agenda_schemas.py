"""Wire types of the personal agenda."""

from __future__ import annotations

from uuid import UUID

from podium.schema import Struct
from sessions.schemas import SessionRead


class AgendaAdd(Struct):
    session_id: UUID


class AgendaEntryRead(Struct):
    session: SessionRead
    # Holds one of the session's limited seats (given back when the pick is removed).
    reserved: bool
    # Other picks whose times overlap this one (touching sessions don't).
    overlaps: list[UUID]


class AgendaFeedRead(Struct):
    """The private calendar feed: https for copying, webcal for "subscribe" buttons."""

    url: str
    webcal_url: str


class AgendaRead(Struct):
    registration_id: UUID
    event_slug: str
    entries: list[AgendaEntryRead]
    overlapping: int
    feed: AgendaFeedRead
