"""Pages for events: the public list and event page, and the organizer's console to create, edit,
publish and archive events with their rooms and tracks. Every form works without JavaScript; htmx
swaps just the rooms or tracks list when it is there."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events import brand, services, targets
from events.models import EventStatus
from events.schemas import EventCreate, EventUpdate, RoomCreate, TargetUpdate, TrackCreate
from podium import contrast
from podium.auth.guards import requires_organizer
from podium.auth.schemas import CurrentUser
from podium.errors import DomainError, InvalidInput
from podium.forms import read_form
from podium.pages import form_errors, redirect, render

FormData = URLEncodedBody[dict[str, str]]


@dataclass
class LogoForm:
    logo: UploadFile | None = None


KINDS = [
    ("annual_meeting", "Annual meeting"),
    ("policy_summit", "Policy summit"),
    ("workshop", "Workshop"),
    ("training", "Training"),
]
EVENT_FIELDS = (
    "slug",
    "name",
    "kind",
    "timezone",
    "venue",
    "city",
    "start_date",
    "end_date",
    "currency",
    "description",
)
WINDOW_FIELDS = ("registration_opens_at", "registration_closes_at")


def _local_input(value: dt.datetime | None, timezone: str) -> str:
    """An instant as the value of a datetime-local input, in the event's time zone."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def _event_payload(form: dict[str, str], *, partial: bool) -> dict[str, Any]:
    """Form fields → API payload: empty optional fields are absent; datetime-local inputs are read in the
    event's time zone (an unknown zone is left for the service to report)."""
    payload: dict[str, Any] = {}
    for name in EVENT_FIELDS:
        value = form.get(name, "")
        if value.strip() or (name in {"city", "description"} and name in form):
            payload[name] = value
    timezone = form.get("timezone", "")
    for name in WINDOW_FIELDS:
        value = form.get(name, "").strip()
        if not value:
            if partial and name in form:
                payload[name] = None
            continue
        try:
            naive = dt.datetime.fromisoformat(value)
            zone = zoneinfo.ZoneInfo(timezone) if timezone in services.known_timezones() else dt.UTC
            payload[name] = naive.replace(tzinfo=zone).isoformat()
        except ValueError:
            payload[name] = value  # msgspec reports it as an invalid datetime on the right field
    return payload


def _event_form(event: Any | None) -> dict[str, str]:
    if event is None:
        return {"kind": "annual_meeting", "timezone": "America/New_York", "currency": "USD"}
    values = {name: str(getattr(event, name) or "") for name in EVENT_FIELDS}
    for name in WINDOW_FIELDS:
        values[name] = _local_input(getattr(event, name), event.timezone)
    return values


# The logo's and style sheet's URLs carry a version (``events/brand.py``): with it, a year; without, revalidate.
VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, no-cache"


def _is_organizer(request: Request[Any, Any, Any]) -> bool:
    user = request.scope.get("user")
    return isinstance(user, CurrentUser) and user.role == "organizer"


def _cached(
    request: Request[Any, Any, Any], body: bytes, media_type: str, etag: str, versioned: bool
) -> Response[bytes]:
    headers = {"ETag": etag, "Cache-Control": VERSIONED_CACHE if versioned else UNVERSIONED_CACHE}
    tags = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
    if etag in tags:
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    return Response(body, headers=headers, media_type=media_type)


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


class EventPages(Controller):
    """What anyone can see: published events."""

    include_in_schema = False

    @get("/")
    async def index(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Template:
        events = await services.list_events(db_session)
        return render(request, "events/list.html", events=events, kinds=dict(KINDS))

    @get("/events/{slug:str}")
    async def detail(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await services.get_event(db_session, slug, published_only=True)
        return render(
            request,
            "events/detail.html",
            event=event,
            kinds=dict(KINDS),
            opens=_local_input(event.registration_opens_at, event.timezone).replace("T", " "),
            closes=_local_input(event.registration_closes_at, event.timezone).replace("T", " "),
            page_brand=brand.page_brand(event),
        )

    @get("/events/{slug:str}/logo.png")
    async def logo(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The logo we re-encoded (PNG); a draft's only to organizers, like the draft itself."""
        png, digest = await brand.logo_png(db_session, slug, published_only=not _is_organizer(request))
        versioned = request.query_params.get("v") == digest[:16]
        return _cached(request, png, "image/png", f'"{digest[:32]}"', versioned)

    @get("/events/{slug:str}/brand.css")
    async def brand_css(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The event's colour as a style sheet: the pages' CSP refuses inline styles. No colour: an empty sheet."""
        event = await services.get_event(
            db_session, slug, published_only=not _is_organizer(request), with_children=False
        )
        colour = event.brand_colour
        css = brand.brand_css(colour) if colour else ""
        versioned = colour is not None and request.query_params.get("v") == colour[1:]
        return _cached(request, css.encode(), "text/css", f'"{(colour or "none")[1:] or "none"}"', versioned)


class OrganizerEventPages(Controller):
    """The organizer console: create, edit, publish and archive events; manage rooms and tracks."""

    path = "/organizer"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def console(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Template:
        events = await services.list_events(db_session, statuses=[s.value for s in EventStatus], limit=500)
        return render(request, "organizer/index.html", events=events, kinds=dict(KINDS))

    @get("/events/new")
    async def new_event(self, request: Request[Any, Any, Any]) -> Template:
        return self._form(request, None, _event_form(None), {})

    @post("/events/new")
    async def create_event(
        self, request: Request[Any, Any, Any], data: FormData, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        try:
            payload = read_form(_event_payload(data, partial=False), EventCreate, strict=False)
            event = await services.create_event(db_session, payload)
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            return self._form(request, None, data, form_errors(exc), status_code=getattr(exc, "status_code", 422))
        return redirect(f"/organizer/events/{event.slug}")

    @get("/events/{slug:str}")
    async def edit_event(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await services.get_event(db_session, slug)
        return self._form(request, event, _event_form(event), {})

    @post("/events/{slug:str}")
    async def update_event(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            payload = read_form(_event_payload(data, partial=True), EventUpdate, strict=False)
            event = await services.update_event(db_session, slug, payload)
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            current = await services.get_event(db_session, slug)
            status = getattr(exc, "status_code", 422)
            return self._form(request, current, data, form_errors(exc), status_code=status)
        return redirect(f"/organizer/events/{event.slug}?saved=1")

    @post("/events/{slug:str}/status")
    async def change_status(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        targets = {"publish": EventStatus.PUBLISHED, "unpublish": EventStatus.DRAFT, "archive": EventStatus.ARCHIVED}
        target = targets.get(data.get("action", ""))
        event = await services.get_event(db_session, slug)
        if target is None:
            return self._form(request, event, _event_form(event), {"__all__": "unknown action"}, status_code=422)
        try:
            await services.set_status(db_session, slug, target)
            await db_session.commit()
        except DomainError as exc:
            event = await services.get_event(db_session, slug)
            return self._form(request, event, _event_form(event), form_errors(exc), status_code=exc.status_code)
        return redirect(f"/organizer/events/{slug}")

    @post("/events/{slug:str}/rooms")
    async def add_room(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        try:
            room = read_form(
                {"name": data.get("name", ""), "capacity": data.get("capacity", "")}, RoomCreate, strict=False
            )
            await services.add_room(db_session, slug, room)
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            errors = form_errors(exc)
        return await self._part(request, db_session, slug, "rooms", errors, data)

    @post("/events/{slug:str}/rooms/{room_id:uuid}/delete")
    async def delete_room(
        self,
        slug: FromPath[str],
        room_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        try:
            await services.delete_room(db_session, slug, room_id)
            await db_session.commit()
        except DomainError as exc:
            errors = form_errors(exc)
        return await self._part(request, db_session, slug, "rooms", errors, {})

    @post("/events/{slug:str}/tracks")
    async def add_track(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        try:
            track = read_form(
                {"name": data.get("name", ""), "colour": data.get("colour", "")}, TrackCreate, strict=False
            )
            await services.add_track(db_session, slug, track)
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            errors = form_errors(exc)
        return await self._part(request, db_session, slug, "tracks", errors, data)

    @post("/events/{slug:str}/tracks/{track_id:uuid}/delete")
    async def delete_track(
        self,
        slug: FromPath[str],
        track_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        try:
            await services.delete_track(db_session, slug, track_id)
            await db_session.commit()
        except DomainError as exc:
            errors = form_errors(exc)
        return await self._part(request, db_session, slug, "tracks", errors, {})

    @post("/events/{slug:str}/brand")
    async def set_brand_colour(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            colour = None if data.get("action") == "clear" else data.get("colour", "").strip()
            if colour is not None and not contrast.HEX_COLOUR.match(colour):
                raise InvalidInput("pick a colour as #rrggbb, e.g. #1f6feb", field="colour")
            await brand.set_colour(db_session, slug, colour)
            await db_session.commit()
        except DomainError as exc:
            return await self._brand_error(request, db_session, slug, exc, data)
        return redirect(f"/organizer/events/{slug}#brand")

    @post("/events/{slug:str}/logo", request_max_body_size=brand.LOGO_BODY_LIMIT)
    async def upload_logo(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: MultipartBody[LogoForm],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            if data.logo is None or not data.logo.filename:
                raise InvalidInput("choose a PNG or JPEG file", field="logo")
            await brand.set_logo(db_session, slug, await data.logo.read(brand.MAX_LOGO_BYTES + 1))
            await db_session.commit()
        except DomainError as exc:
            return await self._brand_error(request, db_session, slug, exc, {})
        return redirect(f"/organizer/events/{slug}#brand")

    @post("/events/{slug:str}/logo/delete")
    async def delete_logo(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        try:
            await brand.remove_logo(db_session, slug)
            await db_session.commit()
        except DomainError as exc:
            return await self._brand_error(request, db_session, slug, exc, {})
        return redirect(f"/organizer/events/{slug}#brand")

    @post("/events/{slug:str}/target")
    async def set_target(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            wanted = read_form(
                {
                    "target": data.get("target", "").strip() or None,
                    "previous_edition": data.get("previous_edition", "").strip() or None,
                },
                TargetUpdate,
                strict=False,
            )
            await targets.set_target(db_session, slug, wanted.target, wanted.previous_edition)
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            return await self._brand_error(request, db_session, slug, exc, data, part="target")
        return redirect(f"/organizer/events/{slug}#target")

    async def _brand_error(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        exc: DomainError | msgspec.ValidationError,
        values: dict[str, str],
        *,
        part: str = "brand",
    ) -> Template:
        """The whole settings page again, with the brand or target form's error beside its field."""
        if isinstance(exc, DomainError) and exc.status_code == 404:
            raise exc
        await db_session.rollback()
        event = await services.get_event(db_session, slug)
        return render(
            request,
            "organizer/event_form.html",
            status_code=getattr(exc, "status_code", 422),
            event=event,
            values=_event_form(event),
            errors={},
            kinds=KINDS,
            timezones=sorted(services.known_timezones()),
            saved=False,
            part_errors={part: form_errors(exc)},
            part_values={part: values},
        )

    def _form(
        self,
        request: Request[Any, Any, Any],
        event: Any | None,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "organizer/event_form.html",
            status_code=status_code,
            event=event,
            values=values,
            errors=errors,
            kinds=KINDS,
            timezones=sorted(services.known_timezones()),
            saved=request.query_params.get("saved") == "1",
            part_errors={},
            part_values={},
        )

    async def _part(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        part: str,
        errors: dict[str, str],
        values: dict[str, str],
    ) -> Template | Redirect:
        """htmx gets just the rooms/tracks section back; a plain form post is redirected (or re-rendered
        with the error when there is one)."""
        event = await services.get_event(db_session, slug)
        status = 422 if errors else 200
        if _is_htmx(request):
            return render(
                request, f"organizer/_{part}.html", status_code=200, event=event, part_errors=errors, part_values=values
            )
        if errors:
            return render(
                request,
                "organizer/event_form.html",
                status_code=status,
                event=event,
                values=_event_form(event),
                errors={},
                kinds=KINDS,
                timezones=sorted(services.known_timezones()),
                saved=False,
                part_errors={part: errors},
                part_values={part: values},
            )
        return redirect(f"/organizer/events/{slug}#{part}")
