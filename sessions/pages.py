"""Pages for the program: the public program browser and session page, and the organizer's program editor
(sessions list, create/edit/publish/cancel, the conflict list, CSV import with its error report, export).
Every form works without JavaScript; times are typed and shown in the event's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import jinja2
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import PageBrand, page_brand
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.charts import Bar, bar_chart
from podium.db import begin_autocommit
from podium.errors import DomainError, InvalidInput, NotFound
from podium.formatting import format_date, local_time
from podium.forms import read_form
from podium.lru import Lru
from podium.pages import form_errors, redirect, render
from podium.query_params import Search
from registration.models import AddOn
from sessions import csv_io, glance, public, queries, services, speakers
from sessions.controllers import actor_of
from sessions.models import ProgramSession, SessionKind, SessionStatus, Speaker
from sessions.schemas import SessionCreate, SessionUpdate, SpeakerCreate

FormData = URLEncodedBody[dict[str, str]]
KIND_LABELS = {
    "keynote": "Keynote",
    "plenary": "Plenary",
    "symposium": "Symposium",
    "scientific_session": "Scientific session",
    "workshop": "Workshop",
    "poster_session": "Poster session",
    "break": "Break",
    "social": "Social",
}


def _days(event: Any) -> list[dt.date]:
    return [event.start_date + dt.timedelta(days=i) for i in range((event.end_date - event.start_date).days + 1)]


def _by_time(sessions: list[Any], timezone: str) -> list[tuple[dt.date, list[tuple[str, list[Any]]]]]:
    """Sessions grouped by local day, then by local start time, for headings a screen reader can jump between."""
    tz = zoneinfo.ZoneInfo(timezone)
    days: dict[dt.date, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for session in sessions:
        start = session.starts_at.astimezone(tz)
        days[start.date()][start.strftime("%H:%M")].append(session)
    return [(day, sorted(slots.items())) for day, slots in sorted(days.items())]


# Rendered program listings and session details in this worker's memory (``podium.lru``). Pure caches: the key
# is the program's or session's fingerprint read from the database on every request (``public.program_head``,
# ``public.session_head``), so any change to a session, speaker, room, track or the event makes a new key and no
# stale entry is ever served, whichever worker made the change.
# (event name or page title, the event's brand, the rendered body): the brand is kept beside the body, so a hit
# reads nothing else; the event's ``updated_at`` is in every key, and a new colour or logo moves it.
LISTINGS: Lru[tuple[str, PageBrand, str]] = Lru()
# One small entry per session: a 600-session meeting's pages all fit.
DETAILS: Lru[tuple[str, PageBrand, str]] = Lru(size=1024)
# The event's time zone and its sessions in time order, for "now and next", per program version.
TIMELINES: Lru[tuple[str, list[glance.Moment]]] = Lru(size=16)
VIEWS = ("list", "grid")


def _fragment(request: Request[Any, Any, Any], name: str) -> jinja2.Template:
    """A cached fragment's template from the app's own Jinja environment (its filters, its compiled templates)."""
    engine = request.app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    return engine.engine.get_template(name)


def _clock(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%H:%M")


async def _now_and_next(
    db_session: AsyncSession, slug: str, head: public.ProgramHead
) -> tuple[glance.NowAndNext, str] | None:
    """What is on now and next with the event's zone, during the event only (before and after, the page is a
    program, not a clock). Computed per request from the version's cached timeline, so it follows the clock."""
    now = dt.datetime.now(dt.UTC)
    # The event's own zone is read only on a cache miss; a day's slack either side covers every zone.
    if not head.start_date - dt.timedelta(days=1) <= now.date() <= head.end_date + dt.timedelta(days=1):
        return None
    timeline = TIMELINES.get(head.version)
    if timeline is None:
        event = await public.public_event(db_session, slug)
        sessions = await public.public_program(
            db_session, event, public.ProgramFilter(), limit=5000, offset=0, statuses=(SessionStatus.PUBLISHED.value,)
        )
        timeline = (event.timezone, glance.moments(sessions))
        TIMELINES.put(head.version, timeline)
    timezone, moments = timeline
    found = glance.now_and_next(moments, now, (head.start_date, head.end_date), timezone)
    return (found, timezone) if found else None


class ProgramPages(Controller):
    """What anyone can see: the published program of a published event and each session."""

    include_in_schema = False

    @get("/events/{slug:str}/program")
    async def program(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        day: FromQuery[str | None] = None,
        within: FromQuery[str | None] = None,
        track: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        q: FromQuery[Search] = None,
        view: FromQuery[str | None] = None,
    ) -> Template:
        """One day at a time (a 600-session meeting is too much for a phone at once); a search covers every day,
        while the track and type filters keep the day being looked at (``within``, from the filter form).
        ``view=grid`` shows the day at a glance, rooms by start time; during the event "now and next" leads.

        The listing is the same for every visitor, so it is rendered once per program version and filter and
        kept (``LISTINGS``); a request whose listing is cached costs one query (``public.program_head``)."""
        await begin_autocommit(db_session)  # reads only: no BEGIN and ROLLBACK round trips around a cached listing
        head = await public.program_head(db_session, slug)
        days = _days(head)
        chosen_day: dt.date | None = None
        day = day or (None if q else within)
        if day == "all" or (q and not day):
            chosen_day = None
        else:
            try:
                chosen_day = dt.date.fromisoformat(day) if day else days[0]
            except ValueError:
                chosen_day = days[0]
        kind = type if type in KIND_LABELS else None
        text = (q or "").strip()
        chosen_view = view if view in VIEWS else "list"
        netloc = request.url.netloc
        key = f"{head.version}|{chosen_day}|{track}|{kind}|{text}|{netloc}|{chosen_view}"
        cached = LISTINGS.get(key)
        if cached is None:
            event = await public.public_event(db_session, slug)
            track_id = next((t.id for t in event.tracks if str(t.id) == track), None)
            wanted = public.ProgramFilter(day=chosen_day, track_id=track_id, kind=kind, q=text)
            sessions = await public.public_program(db_session, event, wanted, limit=2000, offset=0)
            grid = None
            if chosen_view == "grid" and chosen_day is not None:
                grid = glance.day_grid(sessions, [(r.id, r.name) for r in event.rooms], event.timezone)
            listing = _fragment(request, "sessions/_program_listing.html").render(
                view=chosen_view,
                grid=grid,
                event=event,
                days=days,
                chosen_day=chosen_day,
                track=str(track_id) if track_id else "",
                kind=kind or "",
                q=text,
                netloc=netloc,
                groups=_by_time(sessions, event.timezone),
                count=len(sessions),
                kinds=KIND_LABELS,
                rooms={r.id: r.name for r in event.rooms},
                tracks={t.id: t for t in event.tracks},
                clock=lambda v: _clock(v, event.timezone),
            )
            cached = (event.name, page_brand(event), listing)
            LISTINGS.put(key, cached)
        on_now = await _now_and_next(db_session, slug, head)
        return render(
            request,
            "sessions/program.html",
            event_name=cached[0],
            page_brand=cached[1],
            listing=cached[2],
            slug=slug,
            on_now=on_now,
        )

    @get("/events/{slug:str}/sessions/{session_id:uuid}")
    async def session(
        self,
        slug: FromPath[str],
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        """The detail is the same for every visitor, so it is rendered once per session version and kept; a
        request whose detail is cached costs one query (``public.session_head``)."""
        await begin_autocommit(db_session)
        head = await public.session_head(db_session, session_id)
        if head.event_slug != slug:
            raise NotFound("no such session", field="session_id")
        cached = DETAILS.get(head.version)
        if cached is None:
            session, event = await public.public_session(db_session, session_id)
            add_on = None
            if session.required_add_on_id:
                add_on = await db_session.scalar(select(AddOn.name).where(AddOn.id == session.required_add_on_id))
            detail = _fragment(request, "sessions/_session_detail.html").render(
                event=event,
                session=queries.to_read(session, event),
                kinds=KIND_LABELS,
                add_on=add_on,
                day=format_date(local_time(session.starts_at, event.timezone).date()),
                start=_clock(session.starts_at, event.timezone),
                end=_clock(session.ends_at, event.timezone),
            )
            cached = (f"{session.title} · {event.name}", page_brand(event), detail)
            DETAILS.put(head.version, cached)
        return render(request, "sessions/session.html", title=cached[0], page_brand=cached[1], detail=cached[2])


def _session_form(session: ProgramSession | None, timezone: str) -> dict[str, str]:
    if session is None:
        return {"kind": "scientific_session"}
    tz = zoneinfo.ZoneInfo(timezone)
    start, end = session.starts_at.astimezone(tz), session.ends_at.astimezone(tz)
    return {
        "title": session.title,
        "kind": session.kind,
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "room_id": str(session.room_id or ""),
        "track_id": str(session.track_id or ""),
        "required_add_on_id": str(session.required_add_on_id or ""),
        "capacity": "" if session.capacity is None else str(session.capacity),
        "credit_hours": str(session.credit_hours),
        "abstract": session.abstract,
        "speakers": "; ".join(p.speaker.name for p in session.people if p.role == "speaker"),
        "chairs": "; ".join(p.speaker.name for p in session.people if p.role == "chair"),
    }


def _instants(form: dict[str, str], timezone: str) -> tuple[str, str]:
    """date + start/end (local) → ISO instants with the zone's offset; a malformed field is named."""
    tz = zoneinfo.ZoneInfo(timezone)
    try:
        day = dt.date.fromisoformat(form.get("date", "").strip())
    except ValueError:
        raise InvalidInput("pick a day", field="date") from None
    result = []
    for name in ("start", "end"):
        try:
            clock = dt.time.fromisoformat(form.get(name, "").strip())
        except ValueError:
            raise InvalidInput("enter a time like 09:30", field=name) from None
        result.append(dt.datetime.combine(day, clock, tz).isoformat())
    return result[0], result[1]


async def _people_ids(db_session: AsyncSession, slug: str, event_id: UUID, text: str, field: str) -> list[str]:
    """ "; "-separated names → speaker ids, adding people the event doesn't know yet."""
    names = [" ".join(n.split()) for n in text.split(";") if n.strip()]
    known = {
        s.name.casefold(): s.id
        for s in (await db_session.scalars(select(Speaker).where(Speaker.event_id == event_id))).all()
    }
    ids: list[str] = []
    for name in names:
        if name.casefold() not in known:
            try:
                created = await speakers.create_speaker(db_session, slug, SpeakerCreate(name=name))
            except DomainError as exc:
                raise InvalidInput(exc.detail, field=field) from exc
            known[name.casefold()] = created.id
        ids.append(str(known[name.casefold()]))
    return ids


EDITOR_PAGE_SIZE = 100


class EditorFilter(msgspec.Struct, frozen=True):
    """What the organizer narrowed the editor to, read leniently from the query: a value that matches nothing
    shows nothing, never an error."""

    q: str = ""
    day: str = ""
    room: str = ""
    status: str = ""
    page: int = 1

    @classmethod
    def of(cls, params: Any) -> EditorFilter:
        page = str(params.get("page", "1"))
        return cls(
            q=" ".join(str(params.get("q", "")).split())[:200],
            day=str(params.get("day", ""))[:10],
            room=str(params.get("room", ""))[:40],
            status=str(params.get("status", ""))[:20],
            page=max(1, min(int(page), 100_000)) if page.isdigit() else 1,
        )

    def query(self) -> str:
        return urlencode(
            {k: v for k, v in {"q": self.q, "day": self.day, "room": self.room, "status": self.status}.items() if v}
        )


def _narrow(sessions: list[Any], wanted: EditorFilter, timezone: str) -> list[Any]:
    """The sessions the filter keeps: every word in the title, the local day, the room, the status."""
    tz = zoneinfo.ZoneInfo(timezone)
    words = wanted.q.casefold().split()
    return [
        s
        for s in sessions
        if all(w in s.title.casefold() for w in words)
        and (not wanted.day or s.starts_at.astimezone(tz).date().isoformat() == wanted.day)
        and (not wanted.room or str(s.room_id) == wanted.room)
        and (not wanted.status or s.status == wanted.status)
    ]


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
            db_session, event, public.ProgramFilter(), limit=100_000, offset=0, statuses=public.ALL_STATUSES
        )
        conflicts = await queries.conflict_report(db_session, slug)
        titles = {s.id: s.title for s in sessions}
        rooms = {r.id: r.name for r in event.rooms}
        wanted = EditorFilter.of(request.query_params)
        found = _narrow(sessions, wanted, event.timezone)
        pages = max(1, -(-len(found) // EDITOR_PAGE_SIZE))
        page = min(wanted.page, pages)
        shown = found[(page - 1) * EDITOR_PAGE_SIZE : page * EDITOR_PAGE_SIZE]
        tz = zoneinfo.ZoneInfo(event.timezone)
        days = sorted({s.starts_at.astimezone(tz).date() for s in sessions})
        per_room: dict[str, int] = defaultdict(int)
        for session in found:
            per_room[rooms.get(session.room_id, "No room")] += 1
        room_chart = bar_chart(
            "sessions-per-room",
            "Sessions per room"
            + (
                f" on {format_date(dt.date.fromisoformat(wanted.day))}"
                if wanted.day in {d.isoformat() for d in days}
                else ""
            ),
            [Bar(name, n, str(n)) for name, n in sorted(per_room.items())],
        )
        return render(
            request,
            "sessions/editor.html",
            status_code=status_code,
            event=event,
            groups=_by_time(shown, event.timezone),
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
            rooms=rooms,
            clock=lambda v: _clock(v, event.timezone),
            notice=notice or request.query_params.get("notice", ""),
            problem=problem,
        )

    @get("/")
    async def editor(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        return await self._editor(request, db_session, slug)

    @post("/import", request_max_body_size=csv_io.UPLOAD_BODY_LIMIT)
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
        notice = (
            f"Imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged "
            f"({result.speakers_created} new speakers)."
        )
        return redirect(f"/organizer/events/{slug}/program?notice={notice}")

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
        return redirect(f"/organizer/events/{slug}/program?notice=Published {len(published)} sessions.")

    @get("/new")
    async def new_session(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await get_event(db_session, slug)
        return await self._form(request, db_session, event, None, _session_form(None, event.timezone), {})

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
        return await self._form(request, db_session, event, session, _session_form(session, event.timezone), {})

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
                return redirect(f"/organizer/events/{slug}/program?notice=Draft deleted.")
            else:
                raise InvalidInput("unknown action", field="action")
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            event, session = await self._session(db_session, slug, session_id)
            values = _session_form(session, event.timezone)
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
            raise NotFound("no such session in this event", field="session_id")
        return event, session

    async def _payload(
        self, db_session: AsyncSession, event: Any, form: dict[str, str], *, partial: bool
    ) -> dict[str, Any]:
        starts_at, ends_at = _instants(form, event.timezone)
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
        payload["speaker_ids"] = await _people_ids(
            db_session, event.slug, event.id, form.get("speakers", ""), "speakers"
        )
        payload["chair_ids"] = await _people_ids(db_session, event.slug, event.id, form.get("chairs", ""), "chairs")
        if not partial and form.get("publish") == "yes":
            payload["status"] = "published"
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
            session_kinds=[k.value for k in SessionKind],
            add_ons=add_ons,
            saved=request.query_params.get("saved") == "1",
        )
