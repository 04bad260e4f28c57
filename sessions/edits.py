"""What a new or edited session may hold, checked: times, references to the event's rooms, tracks and add-ons,
its people, its seats. The rules of writing (conflicts, publishing) are in ``sessions.services``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import EARLIEST_YEAR, LATEST_YEAR, required_text, year_out_of_range
from podium.errors import Conflict, InvalidInput
from podium.i18n import N_, gettext, ngettext
from podium.translated import clean_translations
from registration.models import AddOn
from sessions.capacity import seat_limit, too_few_seats
from sessions.models import ProgramSession, SessionSpeaker, Speaker, SpeakerRole
from sessions.schemas import SESSION_TEXTS

MAX_SESSION_LENGTH = dt.timedelta(hours=24)


def check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None:
            raise InvalidInput(N_("needs a time zone offset"), field=name)
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise InvalidInput(year_out_of_range(), field=name)
    if ends_at <= starts_at:
        raise InvalidInput(N_("a session must end after it starts"), field="ends_at")
    if ends_at - starts_at > MAX_SESSION_LENGTH:
        raise InvalidInput(N_("a session lasts at most 24 hours"), field="ends_at")
    return starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC)


def credit_hours_value(value: float, field: str = "credit_hours") -> Decimal:
    amount = Decimal(str(value))
    if amount < 0 or amount > 99 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(N_("credit hours are 0 to 99 with at most two decimals (e.g. 1.5)"), field=field)
    return amount.quantize(Decimal("0.01"))


async def check_refs(
    db_session: AsyncSession,
    event: Event,
    *,
    room_id: UUID | None,
    track_id: UUID | None,
    add_on_id: UUID | None,
) -> None:
    if room_id is not None and room_id not in {r.id for r in event.rooms}:
        raise InvalidInput(N_("no such room in this event"), field="room_id")
    if track_id is not None and track_id not in {t.id for t in event.tracks}:
        raise InvalidInput(N_("no such track in this event"), field="track_id")
    if add_on_id is not None:
        add_on_event = await db_session.scalar(select(AddOn.event_id).where(AddOn.id == add_on_id))
        if add_on_event is None:
            raise InvalidInput(N_("no such add-on"), field="required_add_on_id")
        if add_on_event != event.id:
            raise InvalidInput(N_("the required add-on must be one this event sells"), field="required_add_on_id")


async def checked_people(
    db_session: AsyncSession, event: Event, speaker_ids: Sequence[UUID], chair_ids: Sequence[UUID]
) -> list[tuple[Speaker, str]]:
    """The people in program order (speakers, then chairs), checked to be this event's, each once per role."""
    for name, ids in (("speaker_ids", speaker_ids), ("chair_ids", chair_ids)):
        if len(set(ids)) != len(ids):
            raise InvalidInput(N_("lists someone twice"), field=name)
    wanted = set(speaker_ids) | set(chair_ids)
    found: dict[UUID, Speaker] = {}
    if wanted:
        query = select(Speaker).where(Speaker.id.in_(wanted), Speaker.event_id == event.id)
        found = {s.id: s for s in (await db_session.scalars(query)).all()}
    for name, ids in (("speaker_ids", speaker_ids), ("chair_ids", chair_ids)):
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise InvalidInput(
                gettext("no such speaker in this event: %(ids)s") % {"ids": ", ".join(missing)}, field=name
            )
    return [(found[i], SpeakerRole.SPEAKER.value) for i in speaker_ids] + [
        (found[i], SpeakerRole.CHAIR.value) for i in chair_ids
    ]


def set_people(session: ProgramSession, people: Sequence[tuple[Speaker, str]]) -> None:
    """Replace the people, keeping rows that stay (same person, same role) so nothing churns needlessly."""
    existing = {(p.speaker_id, p.role): p for p in session.people}
    rows: list[SessionSpeaker] = []
    for position, (speaker, role) in enumerate(people):
        row = existing.pop((speaker.id, role), None)
        if row is None:
            row = SessionSpeaker(speaker_id=speaker.id, role=role, speaker=speaker)
        row.position = position
        rows.append(row)
    session.people = rows


@dataclass(frozen=True)
class SessionEdit:
    """A session's values after an update, each one as sent (and checked) or as it was."""

    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: UUID | None
    track_id: UUID | None
    add_on_id: UUID | None
    capacity: int | None
    credit_hours: Decimal
    kind: str
    abstract: str
    people: list[tuple[Speaker, str]]
    translations: dict[str, dict[str, str]]
    seats_field: str  # what a seat-limit refusal names: the session's own capacity, or else its room


async def edit_of(db_session: AsyncSession, event: Event, session: ProgramSession, sent: dict[str, Any]) -> SessionEdit:
    """Check what a PATCH sent against the session and the event (times, references, people, seats), in that
    order, and fill in what it didn't send."""
    starts_at, ends_at = check_times(sent.get("starts_at", session.starts_at), sent.get("ends_at", session.ends_at))
    room_id = sent.get("room_id", session.room_id)
    track_id = sent.get("track_id", session.track_id)
    add_on_id = sent.get("required_add_on_id", session.required_add_on_id)
    await check_refs(db_session, event, room_id=room_id, track_id=track_id, add_on_id=add_on_id)
    current_people = [(p.speaker_id, p.role) for p in session.people]
    speaker_ids = sent.get("speaker_ids", [i for i, r in current_people if r == SpeakerRole.SPEAKER])
    chair_ids = sent.get("chair_ids", [i for i, r in current_people if r == SpeakerRole.CHAIR])
    people = await checked_people(db_session, event, speaker_ids, chair_ids)
    title = required_text(sent["title"], "title") if "title" in sent else session.title
    capacity = sent.get("capacity", session.capacity)
    new_room = next((r for r in event.rooms if r.id == room_id), None)
    seats = seat_limit(capacity, new_room.capacity if new_room else None)
    seats_field = "capacity" if capacity is not None else "room_id"
    if too_few_seats(seats, session.seats_taken):
        detail = ngettext(
            "%(taken)d seat is already reserved; that leaves %(limit)d",
            "%(taken)d seats are already reserved; that leaves %(limit)d",
            session.seats_taken,
        )
        raise Conflict(detail % {"taken": session.seats_taken, "limit": seats}, field=seats_field)
    credit_hours = credit_hours_value(sent["credit_hours"]) if "credit_hours" in sent else session.credit_hours
    return SessionEdit(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        room_id=room_id,
        track_id=track_id,
        add_on_id=add_on_id,
        capacity=capacity,
        credit_hours=credit_hours,
        kind=sent.get("kind", session.kind),
        abstract=sent.get("abstract", session.abstract),
        people=people,
        translations=(
            clean_translations(sent["translations"], SESSION_TEXTS) if "translations" in sent else session.translations
        ),
        seats_field=seats_field,
    )


def apply_edit(session: ProgramSession, edit: SessionEdit) -> None:
    session.title = edit.title
    session.starts_at, session.ends_at = edit.starts_at, edit.ends_at
    session.room_id, session.track_id, session.required_add_on_id = edit.room_id, edit.track_id, edit.add_on_id
    session.capacity = edit.capacity
    session.credit_hours = edit.credit_hours
    session.kind = edit.kind
    session.abstract = edit.abstract
    session.translations = edit.translations
    set_people(session, edit.people)
