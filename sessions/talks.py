"""Talks and posters inside program sessions: the sessions side of scheduling accepted abstracts.

Sessions never imports abstracts: the abstracts domain hands in plain ``TalkIn`` values and this module keeps
the program consistent. A session's talks are given as a whole, in order (positions are renumbered, so a
reorder is placing the list again); timed talks must fit the session (their minutes sum to at most its
length, else 409 ``talks_exceed_session``); boards are unique in a session. A talk's presenter becomes a
speaker of the session, found by email (then by name) among the event's speakers before one is created: one
person, not a copy, so the program's speaker double-booking check (``sessions.conflicts``) covers talks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.audit import Actor
from podium.db import utcnow
from podium.errors import Conflict, NotFound
from podium.i18n import N_, gettext
from sessions.change_mail import mail_agenda_holders
from sessions.models import ProgramSession, SessionSpeaker, SessionStatus, Speaker, SpeakerRole, Talk


@dataclass(frozen=True, slots=True)
class TalkIn:
    """One talk (``minutes``) or poster (``board``) as its source describes it."""

    source_id: UUID
    title: str
    presenter_name: str
    presenter_email: str
    presenter_affiliation: str
    visible_from: dt.datetime
    number: int | None = None
    abstract_text: str = ""
    abstract_html: str = ""
    authors: str = ""
    link: str = ""
    minutes: int | None = None
    board: str | None = None


async def session_of_event(db_session: AsyncSession, event_id: UUID, session_id: UUID) -> ProgramSession:
    """The event's session, locked for the change (404 ``session_id`` otherwise)."""
    found = await db_session.scalar(
        select(ProgramSession)
        .where(ProgramSession.id == session_id, ProgramSession.event_id == event_id)
        .with_for_update()
    )
    if found is None:
        raise NotFound(N_("no such session in this event"), field="session_id")
    return found


async def speaker_for(db_session: AsyncSession, event_id: UUID, name: str, email: str, affiliation: str) -> Speaker:
    """The event's speaker with this email, else with this name, else a new one."""
    email = email.strip().lower()
    if email:
        by_email = await db_session.scalar(
            select(Speaker)
            .where(Speaker.event_id == event_id, func.lower(Speaker.email) == email)
            .order_by(Speaker.created_at)
            .limit(1)
        )
        if by_email is not None:
            return by_email
    by_name = await db_session.scalar(select(Speaker).where(Speaker.event_id == event_id, Speaker.name == name))
    if by_name is not None:
        if email and not by_name.email:
            by_name.email = email
        return by_name
    speaker = Speaker(id=uuid4(), event_id=event_id, name=name, affiliation=affiliation, email=email or None)
    db_session.add(speaker)
    await db_session.flush()
    return speaker


def _refuse_overlong(starts_at: dt.datetime, ends_at: dt.datetime, total: int, field: str) -> None:
    """The one rule for both sides: a session's timed talks fit in it (409 ``talks_exceed_session``)."""
    length = int((ends_at - starts_at).total_seconds() // 60)
    if total > length:
        raise Conflict(
            gettext(
                "the talks take %(total)d minutes but the session is %(length)d minutes long "
                "(talk minutes must sum to at most the session's length)"
            )
            % {"total": total, "length": length},
            field=field,
            code="talks_exceed_session",
        )


async def refuse_if_talks_overflow(
    db_session: AsyncSession, session_id: UUID, starts_at: dt.datetime, ends_at: dt.datetime, field: str
) -> None:
    """A session being moved or resized must still hold its talks (they keep their minutes and order; their
    times are relative to the session's start, so a move carries them along)."""
    total = await db_session.scalar(
        select(func.coalesce(func.sum(Talk.minutes), 0)).where(Talk.program_session_id == session_id)
    )
    _refuse_overlong(starts_at, ends_at, int(total or 0), field)


def _check_fits(session: ProgramSession, talks: Sequence[TalkIn]) -> None:
    _refuse_overlong(session.starts_at, session.ends_at, sum(t.minutes or 0 for t in talks), "talks")
    boards: dict[str, int] = {}
    for index, talk in enumerate(talks):
        if talk.board is not None and boards.setdefault(talk.board, index) != index:
            raise Conflict(
                gettext("board %(board)s is given twice") % {"board": repr(talk.board)},
                field=f"talks[{index}].board",
                code="board_taken",
            )


async def place_talks(
    db_session: AsyncSession, event_id: UUID, session_id: UUID, talks: Sequence[TalkIn], *, actor: Actor
) -> list[Talk]:
    """Make ``talks`` the session's talks, in this order: a talk from the same source elsewhere moves here,
    the session's talks not listed leave it, and each presenter becomes a speaker of the session."""
    session = await session_of_event(db_session, event_id, session_id)
    _check_fits(session, talks)
    sources = [t.source_id for t in talks]
    existing = {
        t.source_id: t
        for t in (
            await db_session.scalars(
                select(Talk).where((Talk.source_id.in_(sources)) | (Talk.program_session_id == session.id))
            )
        ).all()
    }
    touched = {session.id} | {t.program_session_id for t in existing.values()}
    presented_before = {t.speaker_id for t in existing.values() if t.speaker_id is not None}
    # Boards are unique per session: clear the listed ones first, so boards can be swapped in one placing.
    for talk in existing.values():
        talk.board = None
    await db_session.flush()
    placed: list[Talk] = []
    for position, wanted in enumerate(talks):
        speaker = await speaker_for(
            db_session, event_id, wanted.presenter_name, wanted.presenter_email, wanted.presenter_affiliation
        )
        known = wanted.source_id in existing
        talk = existing.pop(wanted.source_id) if known else Talk(id=uuid4(), source_id=wanted.source_id)
        talk.program_session_id = session.id
        talk.position = position
        talk.minutes, talk.board = wanted.minutes, wanted.board
        talk.title, talk.number = wanted.title, wanted.number
        talk.abstract_text, talk.abstract_html = wanted.abstract_text, wanted.abstract_html
        talk.authors, talk.link = wanted.authors, wanted.link
        talk.visible_from, talk.speaker_id = wanted.visible_from, speaker.id
        db_session.add(talk)
        placed.append(talk)
    for left in existing.values():  # in this session before, not listed now
        await db_session.delete(left)
    await db_session.flush()
    for touched_id in touched:
        await _sync_speakers(db_session, touched_id, presented_before)
    session.changed_at = session.updated_at = utcnow()
    audit.record(
        db_session,
        "program_session",
        session.id,
        session.status,
        session.status,
        actor,
        f"{len(placed)} talk(s) placed",
        event_id=event_id,
        action="talks_placed",
    )
    return placed


async def _sync_speakers(db_session: AsyncSession, session_id: UUID, presented_before: set[UUID]) -> None:
    """The session's speakers include every presenter of its talks; one who presented a talk before this
    change and presents none here now is no longer listed. Chairs and speakers without talks stay."""
    presenters = set(
        (
            await db_session.scalars(
                select(Talk.speaker_id).where(Talk.program_session_id == session_id, Talk.speaker_id.is_not(None))
            )
        ).all()
    )
    links = {
        link.speaker_id: link
        for link in (await db_session.scalars(select(SessionSpeaker).where(SessionSpeaker.session_id == session_id)))
    }
    next_position = max((link.position for link in links.values()), default=-1) + 1
    for speaker_id in presenters - set(links):
        db_session.add(
            SessionSpeaker(
                session_id=session_id, speaker_id=speaker_id, role=SpeakerRole.SPEAKER.value, position=next_position
            )
        )
        next_position += 1
    stale = [s for s, link in links.items() if link.role == SpeakerRole.SPEAKER and s in presented_before - presenters]
    if stale:
        await db_session.execute(
            delete(SessionSpeaker).where(SessionSpeaker.session_id == session_id, SessionSpeaker.speaker_id.in_(stale))
        )
    await db_session.flush()


async def remove_talks(db_session: AsyncSession, source_ids: Sequence[UUID], *, actor: Actor) -> list[UUID]:
    """The talks from these sources leave their sessions (their abstract was rejected or withdrawn): the rest
    close up in order, a presenter with no other talk there stops being its speaker (a chair stays), and the
    program's version moves (the talk triggers). A talk already public is a change attendees notice: the
    session's SEQUENCE goes up and, if the session is public, its agenda holders are mailed. A talk still under
    embargo leaves no trace. The sessions changed, in no particular order."""
    talks = (
        await db_session.scalars(
            select(Talk).where(Talk.source_id.in_(source_ids)).order_by(Talk.program_session_id).with_for_update()
        )
    ).all()
    now = utcnow()
    by_session: dict[UUID, list[Talk]] = {}
    for talk in talks:
        by_session.setdefault(talk.program_session_id, []).append(talk)
    for session_id, leaving in by_session.items():
        session = await db_session.get_one(ProgramSession, session_id, with_for_update=True)
        presented = {t.speaker_id for t in leaving if t.speaker_id is not None}
        was_public = any(_aware(t.visible_from) <= now for t in leaving)
        for talk in leaving:
            await db_session.delete(talk)
        await db_session.flush()
        staying = (
            await db_session.scalars(select(Talk).where(Talk.program_session_id == session_id).order_by(Talk.position))
        ).all()
        for position, talk in enumerate(staying):
            talk.position = position
        await _sync_speakers(db_session, session_id, presented)
        session.updated_at = now
        if was_public:
            session.changed_at = now
            session.sequence += 1
        audit.record(
            db_session,
            "program_session",
            session.id,
            session.status,
            session.status,
            actor,
            f"{len(leaving)} talk(s) left: their abstract is no longer accepted",
            event_id=session.event_id,
            action="talks_removed",
        )
        if was_public and session.status in (SessionStatus.PUBLISHED, SessionStatus.CANCELLED):
            await mail_agenda_holders(db_session, session_id)
    await db_session.flush()
    return list(by_session)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def set_visible_from(db_session: AsyncSession, source_ids: Any, visible_from: dt.datetime) -> None:
    """The talks from ``source_ids`` (a list or a subquery of ids) become public at ``visible_from``: their
    source's embargo moved. The talk triggers move the program's version, so cached answers renew."""
    await db_session.execute(
        update(Talk)
        .where(Talk.source_id.in_(source_ids), Talk.visible_from != visible_from)
        .values(visible_from=visible_from, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def talks_of(
    db_session: AsyncSession, session_ids: Sequence[UUID], *, visible_at: dt.datetime | None
) -> list[Talk]:
    """The sessions' talks in order; with ``visible_at``, only those public by then (past their embargo)."""
    query = select(Talk).where(Talk.program_session_id.in_(session_ids))
    if visible_at is not None:
        query = query.where(Talk.visible_from <= visible_at)
    return list((await db_session.scalars(query.order_by(Talk.program_session_id, Talk.position))).all())
