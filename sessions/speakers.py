"""Speakers and chairs of an event: the people the program lists. Their emails are for organizers only."""

from __future__ import annotations

from uuid import UUID, uuid4

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event, required_text
from podium import audit
from podium.db import begin_write, savepoint, utcnow
from podium.errors import Conflict, NotFound
from podium.i18n import N_, gettext
from sessions.models import ProgramSession, SessionSpeaker, Speaker
from sessions.queries import editable
from sessions.schemas import SpeakerCreate, SpeakerRead, SpeakerUpdate

SPEAKER_FIELDS = ("name", "affiliation", "bio", "email")  # what the audit trail keeps


def speaker_read(speaker: Speaker) -> SpeakerRead:
    return SpeakerRead(
        id=speaker.id, name=speaker.name, affiliation=speaker.affiliation, bio=speaker.bio, email=speaker.email
    )


async def list_speakers(db_session: AsyncSession, slug: str) -> list[Speaker]:
    event = await get_event(db_session, slug, with_children=False)
    query = select(Speaker).where(Speaker.event_id == event.id).order_by(Speaker.name)
    return list((await db_session.scalars(query)).all())


async def create_speaker(db_session: AsyncSession, slug: str, data: SpeakerCreate) -> Speaker:
    await begin_write(db_session)
    event = editable(await get_event(db_session, slug, with_children=False))
    speaker = Speaker(
        id=uuid4(),  # known before the flush, for its audit entry
        event_id=event.id,
        name=required_text(data.name, "name"),
        affiliation=data.affiliation.strip(),
        bio=data.bio,
        email=data.email.strip().lower() if data.email else None,
    )
    async with savepoint(db_session, _speaker_exists(speaker.name)):
        db_session.add(speaker)
        audit.record_created(
            db_session, "speaker", speaker.id, audit.snapshot(speaker, SPEAKER_FIELDS), None, event_id=event.id
        )
    return speaker


def _speaker_exists(name: str) -> Conflict:
    return Conflict(gettext("a speaker named %(name)s exists") % {"name": repr(name)}, field="name")


async def update_speaker(db_session: AsyncSession, slug: str, speaker_id: UUID, data: SpeakerUpdate) -> Speaker:
    """A renamed speaker changes what the program shows, so their sessions get a new LAST-MODIFIED."""
    await begin_write(db_session)
    event = editable(await get_event(db_session, slug, with_children=False))
    speaker = await db_session.scalar(select(Speaker).where(Speaker.id == speaker_id, Speaker.event_id == event.id))
    if speaker is None:
        raise NotFound(N_("no such speaker in this event"), field="speaker_id")
    visible_before = (speaker.name, speaker.affiliation)
    before = audit.snapshot(speaker, SPEAKER_FIELDS)
    name = required_text(data.name, "name") if data.name is not msgspec.UNSET else speaker.name
    async with savepoint(db_session, _speaker_exists(name)):
        speaker.name = name
        if data.affiliation is not msgspec.UNSET:
            speaker.affiliation = data.affiliation.strip()
        if data.bio is not msgspec.UNSET:
            speaker.bio = data.bio
        if data.email is not msgspec.UNSET:
            speaker.email = data.email.strip().lower() if data.email else None
        if (speaker.name, speaker.affiliation) != visible_before:
            now = utcnow()
            session_ids = select(SessionSpeaker.session_id).where(SessionSpeaker.speaker_id == speaker.id)
            for session in (
                await db_session.scalars(select(ProgramSession).where(ProgramSession.id.in_(session_ids)))
            ).all():
                session.changed_at = now
                session.updated_at = now
        after = audit.snapshot(speaker, SPEAKER_FIELDS)
        audit.record_updated(db_session, "speaker", speaker.id, before, after, None, event_id=event.id)
    return speaker
