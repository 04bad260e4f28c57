"""What goes into the abstract book (``abstracts.book_pdf`` draws it): the call's accepted abstracts grouped by
their session in program order, talks by position and posters by board, then the accepted ones not placed yet.
Read in five set queries for the whole call (the figures' bytes in one)."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.book_pdf import Book, BookEntry, BookSection
from abstracts.decisions import call_of_event
from abstracts.models import Abstract, AbstractAuthor, AbstractFigure, AbstractStatus
from events.models import Room
from podium.formatting import format_datetime
from sessions.models import ProgramSession

ACCEPTED = (AbstractStatus.ACCEPTED_ORAL.value, AbstractStatus.ACCEPTED_POSTER.value)


def _slot(abstract: Abstract) -> str:
    if abstract.poster_board:
        return f"Poster, board {abstract.poster_board}"
    if abstract.status == AbstractStatus.ACCEPTED_POSTER:
        return "Poster"
    if abstract.talk_position is not None:
        return f"Talk {abstract.talk_position + 1} · {abstract.talk_minutes} min"
    return "Talk"


async def book_of(db_session: AsyncSession, slug: str) -> Book:
    event, call = await call_of_event(db_session, slug)
    abstracts = (
        await db_session.scalars(
            select(Abstract).where(Abstract.call_id == call.id, Abstract.status.in_(ACCEPTED)).order_by(Abstract.number)
        )
    ).all()
    ids = [a.id for a in abstracts]
    authors: dict[UUID, list[AbstractAuthor]] = defaultdict(list)
    for author in await db_session.scalars(
        select(AbstractAuthor).where(AbstractAuthor.abstract_id.in_(ids)).order_by(AbstractAuthor.position)
    ):
        authors[author.abstract_id].append(author)
    figures = dict(
        (
            await db_session.execute(
                select(AbstractFigure.abstract_id, AbstractFigure.content).where(AbstractFigure.abstract_id.in_(ids))
            )
        )
        .tuples()
        .all()
    )
    session_ids = {a.session_id for a in abstracts if a.session_id}
    sessions = (
        await db_session.execute(
            select(ProgramSession, Room.name)
            .outerjoin(Room, Room.id == ProgramSession.room_id)
            .where(ProgramSession.id.in_(session_ids))
            .order_by(ProgramSession.starts_at, ProgramSession.title)
        )
    ).all()
    placed: dict[UUID | None, list[Abstract]] = defaultdict(list)
    for abstract in abstracts:
        placed[abstract.session_id].append(abstract)

    def entries(group: list[Abstract]) -> list[BookEntry]:
        ordered = sorted(group, key=lambda a: (a.poster_board or "", a.talk_position or 0, a.number or 0))
        return [
            BookEntry(
                number=a.number,
                title=a.title,
                authors=[x.full_name for x in authors.get(a.id, [])],
                institutions=list(dict.fromkeys(x.institution for x in authors.get(a.id, []) if x.institution)),
                body=a.body,
                slot=_slot(a),
                figure=figures.get(a.id),
            )
            for a in ordered
        ]

    sections = [
        BookSection(
            heading=session.title,
            when=", ".join(p for p in (format_datetime(session.starts_at, event.timezone), room or "") if p),
            entries=entries(placed[session.id]),
        )
        for session, room in sessions
    ]
    if placed.get(None):
        sections.append(BookSection("Accepted abstracts not yet scheduled", "", entries(placed[None])))
    return Book(title=f"{event.name}: abstracts", sections=sections)
