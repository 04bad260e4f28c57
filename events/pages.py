"""The organizer's console to create, edit, publish and archive events with their rooms, tracks, brand and
targets. Every form works without JavaScript; htmx swaps just the rooms or tracks list when it is there."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events import brand, services, targets
from events.event_forms import KINDS, LogoForm, event_form, event_payload
from events.models import EventStatus
from events.schemas import EventCreate, EventUpdate, RoomCreate, TargetUpdate, TrackCreate
from podium import contrast
from podium.auth.guards import requires_organizer
from podium.errors import DomainError, InvalidInput
from podium.forms import FormData, read_form
from podium.i18n import N_
from podium.pages import form_errors, redirect, render


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


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
        return self._form(request, None, event_form(None), {})

    @post("/events/new")
    async def create_event(
        self, request: Request[Any, Any, Any], data: FormData, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        try:
            payload = read_form(event_payload(data, partial=False), EventCreate, strict=False)
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
        return self._form(request, event, event_form(event), {})

    @post("/events/{slug:str}")
    async def update_event(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            payload = read_form(event_payload(data, partial=True), EventUpdate, strict=False)
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
            return self._form(request, event, event_form(event), {"__all__": "unknown action"}, status_code=422)
        try:
            await services.set_status(db_session, slug, target)
            await db_session.commit()
        except DomainError as exc:
            event = await services.get_event(db_session, slug)
            return self._form(request, event, event_form(event), form_errors(exc), status_code=exc.status_code)
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
                raise InvalidInput(N_("pick a colour as #rrggbb, e.g. #1f6feb"), field="colour")
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
                raise InvalidInput(N_("choose a PNG or JPEG file"), field="logo")
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
            values=event_form(event),
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
                values=event_form(event),
                errors={},
                kinds=KINDS,
                timezones=sorted(services.known_timezones()),
                saved=False,
                part_errors={part: errors},
                part_values={part: values},
            )
        return redirect(f"/organizer/events/{slug}#{part}")
