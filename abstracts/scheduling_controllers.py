"""HTTP for the organizers' program work on abstracts: placing accepted ones as talks of a session or posters
of a poster session (``abstracts.scheduling``), exporting everything (``abstracts.exports``), and the abstract
book, drawn by a job (``abstracts.book_jobs``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import book_builds, exports
from abstracts.book_models import AbstractBook, BookState
from abstracts.book_schemas import BookRead
from abstracts.exports import AbstractExport
from abstracts.scheduling import Slot, schedule
from abstracts.scheduling_schemas import PostersPlacement, TalkRead, TalksPlacement
from podium import audit
from podium.auth.guards import requires_organizer
from podium.errors import problem_responses
from sessions.models import Talk

ERRORS = problem_responses(401, 403, 404, 409, 422)


def _read(talk: Talk) -> TalkRead:
    return TalkRead(
        id=talk.id,
        abstract_id=talk.source_id,
        position=talk.position,
        minutes=talk.minutes,
        board=talk.board,
        title=talk.title,
        number=talk.number,
        speaker_id=talk.speaker_id,
    )


class SchedulingController(Controller):
    path = "/api/organizer/events/{event:str}/abstracts/program/{session_id:uuid}"
    tags = ["abstracts: program"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @put("/talks", operation_id="placeTalks", responses=ERRORS)
    async def talks(
        self,
        event: FromPath[str],
        session_id: FromPath[UUID],
        data: JSONBody[TalksPlacement],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> list[TalkRead]:
        """Accepted orals as the session's talks in this order (the whole list; reordering is placing it
        again). Their minutes must sum to at most the session's length (409 ``talks_exceed_session``)."""
        slots = [Slot(t.abstract_id, minutes=t.minutes) for t in data.talks]
        placed = await schedule(db_session, event, session_id, slots, poster=False, actor=audit.actor_of(request.user))
        result = [_read(t) for t in placed]
        await db_session.commit()
        return result

    @put("/posters", operation_id="placePosters", responses=ERRORS)
    async def posters(
        self,
        event: FromPath[str],
        session_id: FromPath[UUID],
        data: JSONBody[PostersPlacement],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> list[TalkRead]:
        """Accepted posters on boards of a poster session (the whole list; a board once per session)."""
        slots = [Slot(p.abstract_id, board=p.board) for p in data.posters]
        placed = await schedule(db_session, event, session_id, slots, poster=True, actor=audit.actor_of(request.user))
        result = [_read(t) for t in placed]
        await db_session.commit()
        return result


class AbstractExportController(Controller):
    path = "/api/organizer/events/{event:str}/abstracts"
    tags = ["abstracts: exports"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get("/export.json", operation_id="exportAbstractsJson", responses=ERRORS)
    async def as_json(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[AbstractExport]:
        """Every submitted abstract with authors, decision, place in the program and mean review scores."""
        _criteria, rows = await exports.export_call(db_session, event)
        return rows

    @get("/export.csv", operation_id="exportAbstractsCsv", responses=ERRORS, media_type="text/csv")
    async def as_csv(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Response[bytes]:
        """The same as a spreadsheet: one line per abstract, a column per rubric criterion's mean score."""
        criteria, rows = await exports.export_call(db_session, event)
        return Response(
            exports.render_csv(criteria, rows).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{event}-abstracts.csv"'},
        )

    @post("/book", operation_id="requestAbstractBook", responses=ERRORS, status_code=202)
    async def request_book(
        self, event: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> BookRead:
        """Start drawing the abstract book (accepted abstracts by session and poster board, with an author
        index) as a job: a 1,500-abstract book takes seconds. Asking while a build is under way joins it."""
        book, joined = await book_builds.request_book(db_session, event, actor=audit.actor_of(request.user).label)
        result = _book_read(event, book, joined=joined)
        await db_session.commit()
        return result

    @get("/book", operation_id="abstractBookState", responses=ERRORS)
    async def book_state(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> BookRead:
        """Where the book's latest build stands (404 if none was asked for)."""
        return _book_read(event, await book_builds.book_state(db_session, event))

    @get("/book.pdf", operation_id="abstractBookPdf", responses=ERRORS, media_type="application/pdf")
    async def book(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Response[bytes]:
        """The finished abstract book (409 ``book_not_ready`` until its build is done)."""
        pdf = await book_builds.book_pdf(db_session, event)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{event}-abstract-book.pdf"'},
        )


def _book_read(event: str, book: AbstractBook, *, joined: bool = False) -> BookRead:
    done = book.state == BookState.DONE
    return BookRead(
        state=book.state,
        requested_at=book.requested_at,
        requested_by=book.requested_by,
        started_at=book.started_at,
        finished_at=book.finished_at,
        abstracts=book.abstracts,
        size=book.size,
        error=book.error,
        pdf_url=f"/api/organizer/events/{event}/abstracts/book.pdf" if done else None,
        joined=joined,
    )
