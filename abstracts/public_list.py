"""The public list of accepted abstracts, after the call's embargo: title, authors with their institutions,
keywords and body, searchable (also by topic and by the title of the session an abstract is presented in), a
page at a time. Before the embargo nothing of them is public (the list is empty and says when it opens). Read
per request, never cached, so the answer changes the moment the embargo passes. Authors' emails are never part
of it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.formatting import render_body
from abstracts.models import (
    Abstract,
    AbstractAuthor,
    AbstractFigure,
    AbstractStatus,
    CallForAbstracts,
    SubmissionType,
    Topic,
)
from events.models import Event
from events.services import get_event
from sessions.models import ProgramSession

ACCEPTED = (AbstractStatus.ACCEPTED_ORAL.value, AbstractStatus.ACCEPTED_POSTER.value)
# The most one page answers: a whole meeting's accepted abstracts fit in one JSON answer if a client asks.
MAX_RESULTS = 5000
# The page shows this many at a time (bodies and all: a phone scrolls through 50 comfortably).
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class PublicAuthor:
    name: str
    institution: str
    country: str
    presenting: bool


@dataclass(frozen=True, slots=True)
class PublicAbstract:
    id: UUID
    number: int | None
    kind: str  # "oral" or "poster"
    submission_type: str
    title: str
    body_html: str
    keywords: list[str]
    authors: list[PublicAuthor]
    figure_url: str | None = None


@dataclass(frozen=True, slots=True)
class PublicList:
    event: Event
    embargo_until: dt.datetime | None  # None: the event has no call for abstracts
    published: bool
    abstracts: list[PublicAbstract]
    total: int = 0  # matching abstracts on every page


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def public_abstracts(
    db_session: AsyncSession,
    slug: str,
    q: str,
    now: dt.datetime,
    *,
    only: UUID | None = None,
    limit: int = MAX_RESULTS,
    offset: int = 0,
) -> PublicList:
    """The published event's accepted abstracts matching ``q`` (title, body, keywords, author names and
    institutions, topic, the title of the session it is presented in; case-insensitive), by number, ``limit``
    from ``offset`` (just the abstract ``only`` when given); none before the
    embargo."""
    event = await get_event(db_session, slug, published_only=True, with_children=False)
    call = await db_session.scalar(select(CallForAbstracts).where(CallForAbstracts.event_id == event.id))
    if call is None:
        return PublicList(event, None, False, [])
    if now < call.embargo_until:
        return PublicList(event, call.embargo_until, False, [])
    query = (
        select(Abstract, SubmissionType.name)
        .join(SubmissionType, SubmissionType.id == Abstract.submission_type_id)
        .where(Abstract.call_id == call.id, Abstract.status.in_(ACCEPTED))
    )
    if only is not None:
        query = query.where(Abstract.id == only)
    for word in q.split()[:10]:
        like = _like(word)
        by_author = exists().where(
            AbstractAuthor.abstract_id == Abstract.id,
            or_(
                func.lower(AbstractAuthor.full_name).like(like, escape="\\"),
                func.lower(AbstractAuthor.institution).like(like, escape="\\"),
            ),
        )
        query = query.where(
            or_(
                func.lower(Abstract.title).like(like, escape="\\"),
                func.lower(Abstract.body).like(like, escape="\\"),
                func.lower(cast(Abstract.keywords, String)).like(like, escape="\\"),
                by_author,
                exists().where(Topic.id == Abstract.topic_id, func.lower(Topic.name).like(like, escape="\\")),
                exists().where(
                    ProgramSession.id == Abstract.session_id,
                    func.lower(ProgramSession.title).like(like, escape="\\"),
                ),
            )
        )
    total = await db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Abstract.number, Abstract.id).limit(min(limit, MAX_RESULTS)).offset(offset)
    found = (await db_session.execute(page)).all()
    ids = [a.id for a, _ in found]
    authors: dict[UUID, list[PublicAuthor]] = defaultdict(list)
    with_figure: set[UUID] = set()
    if ids:
        with_figure = set(
            await db_session.scalars(select(AbstractFigure.abstract_id).where(AbstractFigure.abstract_id.in_(ids)))
        )
        for author in await db_session.scalars(
            select(AbstractAuthor).where(AbstractAuthor.abstract_id.in_(ids)).order_by(AbstractAuthor.position)
        ):
            authors[author.abstract_id].append(
                PublicAuthor(author.full_name, author.institution, author.country, author.is_presenting)
            )
    return PublicList(
        event,
        call.embargo_until,
        True,
        [
            PublicAbstract(
                id=a.id,
                number=a.number,
                kind="oral" if a.status == AbstractStatus.ACCEPTED_ORAL else "poster",
                submission_type=kind,
                title=a.title,
                body_html=str(render_body(a.body)),
                keywords=list(a.keywords),
                authors=authors.get(a.id, []),
                figure_url=f"/api/events/{slug}/accepted-abstracts/{a.id}/figure" if a.id in with_figure else None,
            )
            for a, kind in found
        ],
        total,
    )
