"""A session's talks as the public sees them: only those past their embargo, in order, each timed from the
session's start (talk times are relative, so moving a session moves its talks with it).

The embargo rule is written once, here: a talk is public when its ``visible_from`` (the call's embargo, set by
abstracts) has passed. Public answers are cached under fingerprints, so the fingerprints read ``EMBARGO_MARK``
(the latest ``visible_from`` already passed, one index lookup) and the reads show the talks visible up to that
mark, never "now": a cached answer and its key always agree, and the key moves the moment an embargo passes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sessions.models import ProgramSession, SessionSpeaker, Speaker, SpeakerRole, Talk
from sessions.schemas import PublicTalkRead

# The latest embargo already passed (any event's: a mark moving for another event only renews cache keys).
# ``:now`` is bound by the fingerprint's caller.
EMBARGO_MARK = (
    select(func.max(Talk.visible_from))
    .where(Talk.visible_from <= bindparam("now", type_=Talk.visible_from.type))
    .scalar_subquery()
)
EMBARGO_MARK_SQL = "(SELECT max(t.visible_from) FROM talk t WHERE t.visible_from <= :now)"


def presenter_shown(until: dt.datetime | None) -> ColumnElement[bool]:
    """SQL for a ``SessionSpeaker`` row the public may see: not a speaker listed only because they present a
    talk still under embargo (placing a talk makes its presenter a speaker of the session, see
    ``sessions.talks``; a chair or a speaker without talks is always shown)."""
    hidden = exists().where(
        Talk.program_session_id == SessionSpeaker.session_id, Talk.speaker_id == SessionSpeaker.speaker_id
    )
    if until is not None:
        hidden = hidden.where(Talk.visible_from > until)
    return or_(SessionSpeaker.role != SpeakerRole.SPEAKER.value, ~hidden)


async def embargoed_presenters(
    db_session: AsyncSession, session_ids: Sequence[UUID], until: dt.datetime | None
) -> set[tuple[UUID, UUID]]:
    """(session, speaker) pairs of presenters whose talk there is still under embargo at ``until``."""
    query = select(Talk.program_session_id, Talk.speaker_id).where(
        Talk.program_session_id.in_(session_ids), Talk.speaker_id.is_not(None)
    )
    if until is not None:
        query = query.where(Talk.visible_from > until)
    return {(row[0], row[1]) for row in (await db_session.execute(query)).all()}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _local(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


async def public_talks(
    db_session: AsyncSession, session_filter: Any, until: dt.datetime | None, timezone: str
) -> dict[UUID, list[PublicTalkRead]]:
    """The talks of the sessions ``session_filter`` selects (a condition on ``ProgramSession``) visible at the
    mark ``until`` (none when it is None), by session in order; times in ``timezone``."""
    if until is None:
        return {}
    rows = (
        await db_session.execute(
            select(
                Talk.program_session_id,
                ProgramSession.starts_at,
                Talk.position,
                Talk.title,
                Talk.minutes,
                Talk.board,
                Talk.number,
                Talk.authors,
                Talk.link,
                Speaker.name,
                Speaker.affiliation,
            )
            .join(ProgramSession, ProgramSession.id == Talk.program_session_id)
            .outerjoin(Speaker, Speaker.id == Talk.speaker_id)
            .where(session_filter, Talk.visible_from <= until)
            .order_by(Talk.program_session_id, Talk.position)
        )
    ).all()
    found: dict[UUID, list[PublicTalkRead]] = defaultdict(list)
    running: dict[UUID, int] = defaultdict(int)
    for row in rows:
        starts = ends = None
        if row.minutes is not None:
            starts = _aware(row.starts_at) + dt.timedelta(minutes=running[row.program_session_id])
            ends = starts + dt.timedelta(minutes=row.minutes)
            running[row.program_session_id] += row.minutes
        found[row.program_session_id].append(
            PublicTalkRead(
                position=row.position,
                title=row.title,
                presenter=row.name or "",
                affiliation=row.affiliation or "",
                authors=row.authors,
                number=row.number,
                minutes=row.minutes,
                board=row.board,
                starts_at=starts,
                ends_at=ends,
                local_start=_local(starts, timezone) if starts else None,
                local_end=_local(ends, timezone) if ends else None,
                link=row.link,
            )
        )
    return found


def talks_changed_at(talks: Sequence[PublicTalkRead], until: dt.datetime | None) -> dt.datetime | None:
    """When a session's public talks last changed for a calendar: the embargo mark, once any are shown."""
    return until if talks and until is not None else None
