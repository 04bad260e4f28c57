"""The organizer's program editor: the sessions list, create/edit/publish/cancel, the conflict list, CSV import
with its error report, export. Every form works without JavaScript; times are typed in the event's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.charts import Bar, bar_chart
from podium.errors import DomainError, InvalidInput, NotFound
from podium.formatting import format_date
from podium.forms import FormData, read_form
from podium.i18n import N_, gettext
from podium.pages import form_errors, redirect, render
from podium.translated import form_translations
from registration.models import AddOn
from sessions import csv_format, csv_io, public, queries, services
from sessions.controllers import actor_of
from sessions.editor_forms import EDITOR_PAGE_SIZE, EditorFilter, form_instants, narrow, people_ids, session_form
from sessions.models import KIND_LABELS, ProgramSession, SessionKind
from sessions.page_parts import by_time, clock_text
from sessions.schemas import SessionCreate, SessionUpdate

# Status and conflict words as the editor shows them (the values stay the API's).
STATUS_LABELS = {"draft": N_("draft"), "published": N_("published"), "cancelled": N_("cancelled")}
CONFLICT_KIND_LABELS = {
    "room_double_booked": N_("room double booked"),
    "person_double_booked": N_("person double booked"),
    "outside_event_days": N_("outside event days"),
    "capacity_above_room": N_("capacity above room"),
    "add_on_from_other_event": N_("add on from other event"),
}


def _room_chart(found: list[Any], rooms: dict[UUID, str], day: str, days: list[dt.date]) -> Markup:
    """How many of the sessions shown each room holds, on the chosen day if one is."""
    per_room: dict[str, int] = defaultdict(int)
    no_room = gettext("No room")
    for session in found:
        per_room[rooms.get(session.room_id, no_room)] += 1
    if day in {d.isoformat() for d in days}:
        title = gettext("Sessions per room on %(day)s") % {"day": format_date(dt.date.fromisoformat(day))}
    else:
        title = gettext("Sessions per room")
    return bar_chart("sessions-per-room", title, [Bar(name, n, str(n)) for name, n in sorted(per_room.items())])


def _with_notice(slug: str, notice: str) -> Redirect:
    """Back to the editor with a line saying what was done, in the organizer's language."""
    return redirect(f"/organizer/events/{slug}/program?{urlencode({'notice': notice})}")


class OrganizerProgramPages(Controller):
    """The program editor."""

    path = "/organizer/events/{slug:str}/program"
    include_in_schema = False
    guards = [requires_organizer]

    async def _editor(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        *,
        notice: str = "",
        problem: DomainError | None = None,
        status_code: int = 200,
    ) -> Template:
        event = await get_event(db_session, slug)
        sessions = await public.public_program(
            db_session,
            event,
            public.ProgramFilter(),
            limit=100_000,
            offset=0,
            statuses=public.ALL_STATUSES,
            organizer=True,
        )
        conflicts = await queries.conflict_report(db_session, slug)
        titles = {s.id: s.title for s in sessions}
        rooms = {r.id: r.name for r in event.rooms}
        wanted = EditorFilter.of(request.query_params)
        found = narrow(sessions, wanted, event.timezone)
        pages = max(1, -(-len(found) // EDITOR_PAGE_SIZE))
        page = min(wanted.page, pages)
        shown = found[(page - 1) * EDITOR_PAGE_SIZE : page * EDITOR_PAGE_SIZE]
        tz = zoneinfo.ZoneInfo(event.timezone)
        days = sorted({s.starts_at.astimezone(tz).date() for s in sessions})
        room_chart = _room_chart(found, rooms, wanted.day, days)
        return render(
            request,
            "sessions/editor.html",
            status_code=status_code,
            event=event,
            groups=by_time(shown, event.timezone),
            found=len(found),
            page=page,
            pages=pages,
            wanted=wanted,
            query=wanted.query(),
            days=days,
            statuses=sorted({s.status for s in sessions}),
            room_chart=room_chart,
            count=len(sessions),
            drafts=sum(1 for s in sessions if s.status == "draft"),
            conflicts=conflicts,
            conflicted={i for c in conflicts for i in c.session_ids},
            titles=titles,
            kinds=KIND_LABELS,
            status_labels=STATUS_LABELS,
            conflict_kinds=CONFLICT_KIND_LABELS,
            rooms=rooms,
            clock=lambda v: clock_text(v, event.timezone),
            notice=notice or request.query_params.get("notice", ""),
            problem=problem,
        )

    @get("/")
    async def editor(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        return await self._editor(request, db_session, slug)

    @post("/import", request_max_body_size=csv_format.UPLOAD_BODY_LIMIT)
    async def import_csv(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: MultipartBody[dict[str, Any]],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        upload = data.get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            result = await csv_io.import_csv(
                db_session, slug, content, override=data.get("override") == "yes", actor=actor_of(request)
            )
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            return await self._editor(request, db_session, slug, problem=exc, status_code=exc.status_code)
        notice = gettext(
            "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged (%(speakers)s new speakers)."
        ) % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "speakers": result.speakers_created,
        }
        return _with_notice(slug, notice)

    @post("/publish")
    async def publish_drafts(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            _, published = await services.publish_drafts(
                db_session, slug, override=data.get("override") == "yes", actor=actor_of(request)
            )
            await db_session.commit()
        except DomainError as exc:
            return await self._editor(request, db_session, slug, problem=exc, status_code=exc.status_code)
        return _with_notice(slug, gettext("Published %(count)s sessions.") % {"count": len(published)})

    @get("/new")
    async def new_session(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await get_event(db_session, slug)
        return await self._form(request, db_session, event, None, session_form(None, event.timezone), {})

    @post("/new")
    async def create_session(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug)
        try:
            payload = await self._payload(db_session, event, data, partial=False)
            session = await services.create_session(
                db_session, slug, read_form(payload, SessionCreate, strict=False), actor=actor_of(request)
            )
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            event = await get_event(db_session, slug)  # the rollback expired it
            return await self._failed(request, db_session, event, None, data, exc)
        return redirect(f"/organizer/events/{slug}/program/{session.id}?saved=1")

    @get("/{session_id:uuid}")
    async def edit_session(
        self,
        slug: FromPath[str],
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        event, session = await self._session(db_session, slug, session_id)
        return await self._form(request, db_session, event, session, session_form(session, event.timezone), {})

    @post("/{session_id:uuid}")
    async def update_session(
        self,
        slug: FromPath[str],
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event, session = await self._session(db_session, slug, session_id)
        try:
            payload = await self._payload(db_session, event, data, partial=True)
            await services.update_session(
                db_session, session_id, read_form(payload, SessionUpdate, strict=False), actor=actor_of(request)
            )
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            event, session = await self._session(db_session, slug, session_id)
            return await self._failed(request, db_session, event, session, data, exc)
        return redirect(f"/organizer/events/{slug}/program/{session_id}?saved=1")

    @post("/{session_id:uuid}/status")
    async def change_status(
        self,
        slug: FromPath[str],
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        await self._session(db_session, slug, session_id)
        action = data.get("action", "")
        try:
            if action == "publish":
                await services.publish_session(
                    db_session, session_id, override=data.get("override") == "yes", actor=actor_of(request)
                )
            elif action == "cancel":
                await services.cancel_session(db_session, session_id, actor=actor_of(request))
            elif action == "delete":
                await services.delete_session(db_session, session_id, actor=actor_of(request))
                await db_session.commit()
                return _with_notice(slug, gettext("Draft deleted."))
            else:
                raise InvalidInput(N_("unknown action"), field="action")
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            event, session = await self._session(db_session, slug, session_id)
            values = session_form(session, event.timezone)
            return await self._form(
                request, db_session, event, session, values, {}, problem=exc, status_code=exc.status_code
            )
        return redirect(f"/organizer/events/{slug}/program/{session_id}?saved=1")

    async def _session(self, db_session: AsyncSession, slug: str, session_id: UUID) -> tuple[Any, ProgramSession]:
        event = await get_event(db_session, slug)
        session = await db_session.scalar(
            queries.with_people(
                select(ProgramSession).where(ProgramSession.id == session_id, ProgramSession.event_id == event.id)
            )
        )
        if session is None:
            raise NotFound(N_("no such session in this event"), field="session_id")
        return event, session

    async def _payload(
        self, db_session: AsyncSession, event: Any, form: dict[str, str], *, partial: bool
    ) -> dict[str, Any]:
        starts_at, ends_at = form_instants(form, event.timezone)
        payload: dict[str, Any] = {
            "title": form.get("title", ""),
            "kind": form.get("kind", "scientific_session"),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "abstract": form.get("abstract", ""),
            "room_id": form.get("room_id") or None,
            "track_id": form.get("track_id") or None,
            "required_add_on_id": form.get("required_add_on_id") or None,
            "capacity": form.get("capacity", "").strip() or None,
            "credit_hours": form.get("credit_hours", "").strip() or "0",
            "override_conflicts": form.get("override") == "yes",
        }
        payload["speaker_ids"] = await people_ids(
            db_session, event.slug, event.id, form.get("speakers", ""), "speakers"
        )
        payload["chair_ids"] = await people_ids(db_session, event.slug, event.id, form.get("chairs", ""), "chairs")
        if not partial and form.get("publish") == "yes":
            payload["status"] = "published"
        if (translations := form_translations(form)) is not None:
            payload["translations"] = translations
        return payload

    async def _failed(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        event: Any,
        session: ProgramSession | None,
        values: dict[str, str],
        exc: Exception,
    ) -> Template:
        """The form again with what went wrong: conflicts as a list above it, field errors at their fields."""
        status = getattr(exc, "status_code", 422)
        if isinstance(exc, queries.ConflictsFound):
            return await self._form(request, db_session, event, session, values, {}, problem=exc, status_code=status)
        return await self._form(request, db_session, event, session, values, form_errors(exc), status_code=status)

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        event: Any,
        session: ProgramSession | None,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        problem: DomainError | None = None,
        status_code: int = 200,
    ) -> Template:
        add_ons = (
            await db_session.execute(
                select(AddOn.id, AddOn.name).where(AddOn.event_id == event.id).order_by(AddOn.name)
            )
        ).all()
        # Field names in errors follow the API (speaker_ids); the form calls them speakers.
        renamed = {"speaker_ids": "speakers", "chair_ids": "chairs", "starts_at": "start", "ends_at": "end"}
        errors = {renamed.get(k, k): v for k, v in errors.items()}
        return render(
            request,
            "sessions/session_form.html",
            status_code=status_code,
            event=event,
            session=session,
            values=values,
            errors=errors,
            problem=problem,
            kinds=KIND_LABELS,
            status_labels=STATUS_LABELS,
            session_kinds=[k.value for k in SessionKind],
            add_ons=add_ons,
            saved=request.query_params.get("saved") == "1",
        )
