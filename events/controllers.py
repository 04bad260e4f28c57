"""HTTP for events: a public read-only surface and the organizer's write surface. Thin by design."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from events import brand, services, targets
from events.models import Event, EventStatus
from events.schemas import (
    BrandRead,
    BrandUpdate,
    EventCreate,
    EventRead,
    EventSummary,
    EventUpdate,
    Kind,
    RoomCreate,
    RoomRead,
    RoomUpdate,
    TargetRead,
    TargetUpdate,
    TrackCreate,
    TrackRead,
    TrackUpdate,
)
from podium.auth.guards import requires_organizer, requires_organizer_unless_public
from podium.errors import problem_responses
from podium.i18n import current_locale
from podium.translated import content_headers

Limit = Annotated[int, Parameter(ge=1, le=500)]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000)]
ORGANIZER_ERRORS = (401, 403, 404, 409, 422)
# Public reads and organizer writes share the /api/events paths: the controller denies by default and
# the two public reads opt out explicitly.
ORGANIZER_ONLY: list[SecurityRequirement] = [{"bearer": []}]


@dataclass
class LogoUpload:
    logo: UploadFile


def brand_read(event: Event) -> BrandRead:
    found = brand.brand_of(event)
    return BrandRead(colour=found.colour, ink=found.ink, logo_url=brand.logo_path(event))


class EventController(Controller):
    """Published events for anyone; creating, editing, publishing and archiving for organizers."""

    path = "/api/events"
    tags = ["events"]
    guards = [requires_organizer_unless_public]

    @get("/", operation_id="listEvents", responses=problem_responses(422), security=[], opt={"public": True})
    async def list_events(
        self,
        db_session: NamedDependency[AsyncSession],
        kind: FromQuery[Kind | None] = None,
        limit: FromQuery[Limit] = 100,
        offset: FromQuery[Offset] = 0,
    ) -> list[EventSummary]:
        events = await services.list_events(db_session, kind=kind, limit=limit, offset=offset)
        return [services.to_summary(e) for e in events]

    @get("/{event:str}", operation_id="getEvent", responses=problem_responses(404), security=[], opt={"public": True})
    async def get_event(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Response[EventRead]:
        """The description is in the reader's language where the organizer gave it (``Content-Language``)."""
        locale = current_locale()
        read = services.to_read(await services.get_event(db_session, event, published_only=True), locale)
        return Response(read, headers=content_headers(locale))

    @post("/", operation_id="createEvent", responses=problem_responses(*ORGANIZER_ERRORS), security=ORGANIZER_ONLY)
    async def create_event(self, data: JSONBody[EventCreate], db_session: NamedDependency[AsyncSession]) -> EventRead:
        """A new event starts as a draft, invisible to the public until published."""
        read = services.to_read(await services.create_event(db_session, data))
        await db_session.commit()
        return read

    @patch(
        "/{event:str}",
        operation_id="updateEvent",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def update_event(
        self, event: FromPath[str], data: JSONBody[EventUpdate], db_session: NamedDependency[AsyncSession]
    ) -> EventRead:
        read = services.to_read(await services.update_event(db_session, event, data))
        await db_session.commit()
        return read

    @post(
        "/{event:str}/{action:str}",
        status_code=HTTP_200_OK,
        operation_id="changeEventStatus",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def change_status(
        self,
        event: FromPath[str],
        action: FromPath[Literal["publish", "unpublish", "archive"]],
        db_session: NamedDependency[AsyncSession],
    ) -> EventRead:
        """``publish`` shows the event, ``unpublish`` takes it back to draft, ``archive`` freezes it."""
        target = {
            "publish": EventStatus.PUBLISHED,
            "unpublish": EventStatus.DRAFT,
            "archive": EventStatus.ARCHIVED,
        }[action]
        read = services.to_read(await services.set_status(db_session, event, target))
        await db_session.commit()
        return read

    @post(
        "/{event:str}/rooms",
        operation_id="addRoom",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def add_room(
        self, event: FromPath[str], data: JSONBody[RoomCreate], db_session: NamedDependency[AsyncSession]
    ) -> RoomRead:
        room = await services.add_room(db_session, event, data)
        read = RoomRead(id=room.id, name=room.name, capacity=room.capacity)
        await db_session.commit()
        return read

    @patch(
        "/{event:str}/rooms/{room_id:uuid}",
        operation_id="updateRoom",
        responses=problem_responses(*ORGANIZER_ERRORS),
    )
    async def update_room(
        self,
        event: FromPath[str],
        room_id: FromPath[UUID],
        data: JSONBody[RoomUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> RoomRead:
        room = await services.update_room(db_session, event, room_id, data)
        read = RoomRead(id=room.id, name=room.name, capacity=room.capacity)
        await db_session.commit()
        return read

    @delete(
        "/{event:str}/rooms/{room_id:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteRoom",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def delete_room(
        self, event: FromPath[str], room_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await services.delete_room(db_session, event, room_id)
        await db_session.commit()

    @post(
        "/{event:str}/tracks",
        operation_id="addTrack",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def add_track(
        self, event: FromPath[str], data: JSONBody[TrackCreate], db_session: NamedDependency[AsyncSession]
    ) -> TrackRead:
        track = await services.add_track(db_session, event, data)
        read = TrackRead(id=track.id, name=track.name, colour=track.colour)
        await db_session.commit()
        return read

    @patch(
        "/{event:str}/tracks/{track_id:uuid}",
        operation_id="updateTrack",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def update_track(
        self,
        event: FromPath[str],
        track_id: FromPath[UUID],
        data: JSONBody[TrackUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> TrackRead:
        track = await services.update_track(db_session, event, track_id, data)
        read = TrackRead(id=track.id, name=track.name, colour=track.colour)
        await db_session.commit()
        return read

    @delete(
        "/{event:str}/tracks/{track_id:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteTrack",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def delete_track(
        self, event: FromPath[str], track_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await services.delete_track(db_session, event, track_id)
        await db_session.commit()

    @put(
        "/{event:str}/logo",
        operation_id="putEventLogo",
        responses=problem_responses(*ORGANIZER_ERRORS, 413),
        request_max_body_size=brand.LOGO_BODY_LIMIT,
        security=ORGANIZER_ONLY,
    )
    async def put_logo(
        self, event: FromPath[str], data: MultipartBody[LogoUpload], db_session: NamedDependency[AsyncSession]
    ) -> BrandRead:
        """The event's logo: a PNG or JPEG up to 1 MB and 2000 x 2000 pixels (form field `logo`), recognised by its
        content and stored re-encoded as PNG without metadata. SVG is refused: it can carry script."""
        content = await data.logo.read(brand.MAX_LOGO_BYTES + 1)
        read = brand_read(await brand.set_logo(db_session, event, content))
        await db_session.commit()
        return read

    @delete(
        "/{event:str}/logo",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteEventLogo",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def delete_logo(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> None:
        await brand.remove_logo(db_session, event)
        await db_session.commit()

    @patch(
        "/{event:str}/brand",
        operation_id="updateEventBrand",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def update_brand(
        self, event: FromPath[str], data: JSONBody[BrandUpdate], db_session: NamedDependency[AsyncSession]
    ) -> BrandRead:
        """The accent colour (`#rrggbb`) on the event's pages, mails and badges; text on it is black or white,
        whichever contrasts more, so every colour stays readable."""
        read = brand_read(await brand.set_colour(db_session, event, data.colour))
        await db_session.commit()
        return read

    @patch(
        "/{event:str}/target",
        operation_id="updateRegistrationTarget",
        responses=problem_responses(*ORGANIZER_ERRORS),
        security=ORGANIZER_ONLY,
    )
    async def update_target(
        self, event: FromPath[str], data: JSONBody[TargetUpdate], db_session: NamedDependency[AsyncSession]
    ) -> TargetRead:
        """What the registrations chart compares the running count with: a target head count, and the
        previous edition (another event's slug), its curve aligned by days before the start."""
        found = await targets.set_target(db_session, event, data.target, data.previous_edition)
        read = TargetRead(target=found.registration_target, previous_edition=found.previous_edition)
        await db_session.commit()
        return read


class OrganizerEventListController(Controller):
    """Every event in any status, for the organizer console."""

    path = "/api/organizer/events"
    tags = ["events: organizer"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get("/", operation_id="listAllEvents", responses=problem_responses(401, 403, 422))
    async def list_all(
        self,
        db_session: NamedDependency[AsyncSession],
        status: FromQuery[Literal["draft", "published", "archived"] | None] = None,
        limit: FromQuery[Limit] = 100,
        offset: FromQuery[Offset] = 0,
    ) -> list[EventSummary]:
        statuses = [status] if status else [s.value for s in EventStatus]
        events = await services.list_events(db_session, statuses=statuses, limit=limit, offset=offset)
        return [services.to_summary(e) for e in events]

    @get("/{event:str}", operation_id="getAnyEvent", responses=problem_responses(401, 403, 404))
    async def get_any(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> EventRead:
        return services.to_read(await services.get_event(db_session, event))
