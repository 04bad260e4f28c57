"""The organizers' page for placing accepted abstracts into the program: choose a session, then give each
accepted oral its order and minutes (a talk session) or each accepted poster its board (a poster session). It
calls ``abstracts.scheduling.schedule`` as the API does, so a session's talks never outrun it, and every refusal
comes back next to the row it is about. The abstract book and the exports are linked from here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import book_builds
from abstracts.book_models import AbstractBook
from abstracts.decisions import call_of_event
from abstracts.models import Abstract, AbstractStatus, CallForAbstracts
from abstracts.scheduling import Slot, schedule
from abstracts.scheduling_schemas import PosterSlot, TalkSlot
from events.models import Event
from podium import audit
from podium.auth.guards import requires_organizer
from podium.errors import DomainError, FieldError, InvalidInput, NotFound
from podium.formatting import format_datetime
from podium.forms import FormData
from podium.i18n import gettext
from podium.pages import form_errors, redirect, render
from sessions.models import ProgramSession, SessionKind


async def _accepted(db_session: AsyncSession, call: CallForAbstracts, status: AbstractStatus) -> list[Abstract]:
    query = select(Abstract).where(Abstract.call_id == call.id, Abstract.status == status.value)
    return list((await db_session.scalars(query.order_by(Abstract.number, Abstract.id))).all())


async def _sessions(db_session: AsyncSession, event: Event) -> list[ProgramSession]:
    query = select(ProgramSession).where(ProgramSession.event_id == event.id)
    return list((await db_session.scalars(query.order_by(ProgramSession.starts_at, ProgramSession.title))).all())


def _session_label(session: ProgramSession, timezone: str) -> str:
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    start = format_datetime(session.starts_at, timezone)
    return gettext("%(title)s · %(start)s · %(minutes)d min") % {
        "title": session.title,
        "start": start,
        "minutes": minutes,
    }


def _values_of(abstracts: Sequence[Abstract], session_id: UUID) -> dict[str, str]:
    """What the forms show for the chosen session: its talks' order and minutes, its posters' boards."""
    values: dict[str, str] = {}
    for abstract in abstracts:
        if abstract.session_id == session_id:
            values[f"order-{abstract.id}"] = str((abstract.talk_position or 0) + 1)
            values[f"minutes-{abstract.id}"] = str(abstract.talk_minutes or "")
            values[f"board-{abstract.id}"] = abstract.poster_board or ""
    return values


def _row_errors(exc: Exception, slots: Sequence[Slot], prefix: str) -> dict[str, str]:
    """The service's fields (``abstract_ids[2]``, ``talks[2].board``, ``talks``) as the page's (a row's input,
    or the session chooser)."""
    errors: dict[str, str] = {}
    for field, message in form_errors(exc).items():
        head = field.split(".")[0]
        if "[" in head and head.split("[")[1].rstrip("]").isdigit():
            index = int(head.split("[")[1].rstrip("]"))
            field = f"{prefix}-{slots[index].abstract_id}" if index < len(slots) else "session"
        elif field in ("talks", "session_id", "abstract_ids"):
            field = "session"
        errors[field] = message
    return errors


def _talk_slots(data: dict[str, str], orals: Sequence[Abstract]) -> list[Slot]:
    """The orals given an order, by that order (then number); each order and minutes checked as the API's
    ``TalkSlot`` checks them, every mistake at once."""
    rows: list[tuple[int, int, Slot]] = []
    errors: list[FieldError] = []
    for abstract in orals:
        order = data.get(f"order-{abstract.id}", "").strip()
        if not order:
            continue
        if not order.isdigit() or int(order) < 1:
            errors.append(FieldError(f"order-{abstract.id}", gettext("Enter the talk's place: 1, 2, 3…")))
            continue
        try:
            minutes = int(data.get(f"minutes-{abstract.id}", "").strip())
            slot = msgspec.convert({"abstract_id": str(abstract.id), "minutes": minutes}, TalkSlot)
        except (ValueError, msgspec.ValidationError):
            errors.append(FieldError(f"minutes-{abstract.id}", gettext("Enter the talk's minutes, 1 to 600.")))
            continue
        rows.append((int(order), abstract.number or 0, Slot(slot.abstract_id, minutes=slot.minutes)))
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)
    return [slot for _, _, slot in sorted(rows, key=lambda row: (row[0], row[1]))]


def _poster_slots(data: dict[str, str], posters: Sequence[Abstract]) -> list[Slot]:
    slots: list[Slot] = []
    errors: list[FieldError] = []
    for abstract in posters:
        board = data.get(f"board-{abstract.id}", "").strip()
        if not board:
            continue
        try:
            slot = msgspec.convert({"abstract_id": str(abstract.id), "board": board}, PosterSlot)
        except msgspec.ValidationError:
            message = gettext("A board is 1 to 20 letters, digits or hyphens, like B-12.")
            errors.append(FieldError(f"board-{abstract.id}", message))
            continue
        slots.append(Slot(slot.abstract_id, board=slot.board))
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)
    return slots


class ScheduleAbstractsPages(Controller):
    path = "/organizer/events/{slug:str}/abstracts/schedule"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        session: FromQuery[UUID | None] = None,
        saved: FromQuery[int | None] = None,
        book: FromQuery[int | None] = None,
    ) -> Template:
        """``book=1``: back from asking for the abstract book (the page says it is being built)."""
        return await self._page(request, db_session, slug, session, saved=bool(saved), book_requested=bool(book))

    @post("/book")
    async def build_book(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Redirect:
        """Ask for the abstract book: a job draws it (joining a build under way); the page shows where it stands."""
        await book_builds.request_book(db_session, slug, actor=audit.actor_of(request.user).label)
        await db_session.commit()
        return redirect(f"/organizer/events/{slug}/abstracts/schedule?book=1")

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        session_id: UUID | None,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        saved: bool = False,
        book_requested: bool = False,
    ) -> Template:
        event, call = await call_of_event(db_session, slug)
        sessions = await _sessions(db_session, event)
        chosen = next((s for s in sessions if s.id == session_id), None)
        orals = await _accepted(db_session, call, AbstractStatus.ACCEPTED_ORAL)
        posters = await _accepted(db_session, call, AbstractStatus.ACCEPTED_POSTER)
        titles = {s.id: s.title for s in sessions}
        try:
            book: AbstractBook | None = await book_builds.book_state(db_session, slug)
        except NotFound:
            book = None
        return render(
            request,
            "abstracts/schedule.html",
            status_code=status_code,
            event=event,
            sessions=[(s.id, _session_label(s, event.timezone)) for s in sessions],
            chosen=chosen,
            poster_session=chosen is not None and chosen.kind == SessionKind.POSTER_SESSION.value,
            orals=orals,
            posters=posters,
            placed_in={a.id: titles.get(a.session_id, "") for a in (*orals, *posters) if a.session_id},
            values=values if values is not None else (_values_of([*orals, *posters], chosen.id) if chosen else {}),
            errors=errors or {},
            saved=saved,
            book=book,
            book_requested=book_requested,
        )

    async def _place(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        session_id: UUID,
        data: dict[str, str],
        *,
        poster: bool,
    ) -> Template | Redirect:
        _, call = await call_of_event(db_session, slug)
        slots: list[Slot] = []
        try:
            if poster:
                slots = _poster_slots(data, await _accepted(db_session, call, AbstractStatus.ACCEPTED_POSTER))
            else:
                slots = _talk_slots(data, await _accepted(db_session, call, AbstractStatus.ACCEPTED_ORAL))
            actor = audit.actor_of(request.user)
            await schedule(db_session, slug, session_id, slots, poster=poster, actor=actor)
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            errors = _row_errors(exc, slots, "board" if poster else "order")
            values = dict(data)
            return await self._page(
                request, db_session, slug, session_id, values=values, errors=errors, status_code=exc.status_code
            )
        return redirect(f"/organizer/events/{slug}/abstracts/schedule?session={session_id}&saved=1")

    @post("/{session_id:uuid}/talks")
    async def talks(
        self,
        slug: FromPath[str],
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """The session's talks: the orals given an order, in that order (an oral left blank leaves it)."""
        return await self._place(request, db_session, slug, session_id, data, poster=False)

    @post("/{session_id:uuid}/posters")
    async def posters(
        self,
        slug: FromPath[str],
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """The poster session's posters: the accepted posters given a board."""
        return await self._place(request, db_session, slug, session_id, data, poster=True)
