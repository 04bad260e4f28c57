"""HTTP for the program: the public program and session pages' data, and the organizer's editor (sessions,
speakers, conflicts, publishing, CSV). Thin: each handler calls one service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth.guards import requires_organizer, requires_organizer_unless_public
from podium.auth.schemas import CurrentUser
from podium.db import begin_autocommit
from podium.errors import NotFound, problem_responses
from podium.i18n import N_, current_locale
from podium.query_params import Search
from sessions import csv_format, csv_io, public, queries, services, speakers
from sessions.conditional import LIST_BODIES, SESSION_BODIES, conditional, etag_of, not_modified
from sessions.feed_controllers import session_calendar
from sessions.schemas import (
    CsvImportResult,
    Kind,
    ProgramConflictRead,
    PublishRequest,
    PublishResult,
    SessionCreate,
    SessionRead,
    SessionUpdate,
    SpeakerCreate,
    SpeakerRead,
    SpeakerUpdate,
)

ERRORS = problem_responses(401, 403, 404, 409, 422)
BEARER: list[SecurityRequirement] = [{"bearer": []}]
Limit = Annotated[int, QueryParameter(ge=1, le=2000)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]


def actor_of(request: Request[Any, Any, Any]) -> str:
    user = request.scope.get("user")
    return f"organizer:{user.email}" if isinstance(user, CurrentUser) else "organizer"


class ProgramController(Controller):
    """The event's sessions: anyone reads the published program; organizers add sessions and publish."""

    path = "/api/events/{event:str}/sessions"
    tags = ["program"]
    guards = [requires_organizer_unless_public]

    @get(
        "/",
        operation_id="listSessions",
        security=[],
        opt={"public": True},
        responses=problem_responses(304, 404, 422),
    )
    async def list_public(
        self,
        event: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        day: FromQuery[dt.date | None] = None,
        track: FromQuery[UUID | None] = None,
        room: FromQuery[UUID | None] = None,
        type: FromQuery[Kind | None] = None,
        speaker: FromQuery[UUID | None] = None,
        q: FromQuery[Search] = None,
        limit: FromQuery[Limit] = 1000,
        offset: FromQuery[Offset] = 0,
    ) -> Response[list[SessionRead]]:
        """Published and cancelled sessions, by start time; filter by local ``day`` (in the event's time zone),
        track, room, ``type``, speaker, and search ``q`` over titles, abstracts and speaker names. Answers
        304 to a matching If-None-Match or If-Modified-Since."""
        head = await public.program_head(db_session, event)
        wanted = public.ProgramFilter(day=day, track_id=track, room_id=room, kind=type, speaker_id=speaker, q=q or "")
        version, last_modified = head.version, head.last_modified
        locale = current_locale()  # titles are in the reader's language: one body and ETag per locale
        etag_source = f"{version}|{locale}|{wanted}|{limit}|{offset}"
        cached = LIST_BODIES.get(etag_source)
        if cached is None and not not_modified(request, etag_of(etag_source), last_modified):
            await begin_autocommit(db_session)  # reads only: no BEGIN and ROLLBACK round trips
            found = await public.public_event(db_session, event)
            reads = await public.public_program(
                db_session, found, wanted, limit=limit, offset=offset, talks_until=head.talks_until, locale=locale
            )
            cached = msgspec.json.encode(reads)
            LIST_BODIES.put(etag_source, cached)
        return conditional(request, etag_source, last_modified, lambda: cached, locale)

    @post("/", operation_id="createSession", responses=ERRORS, security=BEARER)
    async def create(
        self,
        event: FromPath[str],
        data: JSONBody[SessionCreate],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> SessionRead:
        """A new session, a draft unless ``status: published`` (which checks conflicts like publishing)."""
        session = await services.create_session(db_session, event, data, actor=actor_of(request))
        found = await queries.event_by_id(db_session, session.event_id)
        read = queries.to_read(session, found)
        await db_session.commit()
        return read

    @post("/publish", operation_id="publishDrafts", status_code=HTTP_200_OK, responses=ERRORS, security=BEARER)
    async def publish_drafts(
        self,
        event: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        data: JSONBody[PublishRequest | None] = None,
    ) -> PublishResult:
        """Publish every draft at once; 409 with the conflicts unless ``override_conflicts``."""
        found, published = await services.publish_drafts(
            db_session, event, override=bool(data and data.override_conflicts), actor=actor_of(request)
        )
        result = PublishResult(published=len(published), sessions=[queries.to_read(s, found) for s in published])
        await db_session.commit()
        return result


class OrganizerProgramController(Controller):
    path = "/api/organizer/events/{event:str}/sessions"
    tags = ["program: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listAllSessions", responses=ERRORS)
    async def list_all(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[SessionRead]:
        """Every session in any status, drafts included."""
        found = await services.get_event(db_session, event)
        return await public.public_program(
            db_session,
            found,
            public.ProgramFilter(),
            limit=100_000,
            offset=0,
            statuses=public.ALL_STATUSES,
            organizer=True,
        )


class ConflictController(Controller):
    path = "/api/events/{event:str}/conflicts"
    tags = ["program: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listProgramConflicts", responses=ERRORS)
    async def report(
        self, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> list[ProgramConflictRead]:
        """Room and people double-bookings, sessions outside the event's days, capacities above the room's and
        add-ons from another event, among drafts and published sessions."""
        return [queries.conflict_read(c) for c in await queries.conflict_report(db_session, event)]


class ProgramCsvController(Controller):
    path = "/api/events/{event:str}/sessions.csv"
    tags = ["program: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="exportSessionsCsv", responses=ERRORS, media_type="text/csv")
    async def export(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Response[bytes]:
        """The program as the organizers' spreadsheet (local times in the event's zone); import accepts it."""
        text = await csv_format.export_csv(db_session, event)
        return Response(
            text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{event}-sessions.csv"'},
        )

    @post(
        "/",
        operation_id="importSessionsCsv",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 413, 422),
        request_max_body_size=csv_format.UPLOAD_BODY_LIMIT,
    )
    async def import_(
        self,
        event: FromPath[str],
        body: RawBody,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        override_conflicts: FromQuery[bool] = False,
    ) -> CsvImportResult:
        """Create (empty ``id``) or update sessions from a CSV body, all or nothing: any bad row (with its line
        and column) or new conflict (unless ``override_conflicts``) and nothing is imported."""
        result = await csv_io.import_csv(
            db_session, event, bytes(body), override=override_conflicts, actor=actor_of(request)
        )
        await db_session.commit()
        return result


class SpeakerController(Controller):
    path = "/api/events/{event:str}/speakers"
    tags = ["program: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listSpeakers", responses=ERRORS)
    async def list_(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[SpeakerRead]:
        return [speakers.speaker_read(s) for s in await speakers.list_speakers(db_session, event)]

    @post("/", operation_id="createSpeaker", responses=ERRORS)
    async def create(
        self, event: FromPath[str], data: JSONBody[SpeakerCreate], db_session: NamedDependency[AsyncSession]
    ) -> SpeakerRead:
        """A speaker or chair (the same person can be both); the email stays with the organizers."""
        read = speakers.speaker_read(await speakers.create_speaker(db_session, event, data))
        await db_session.commit()
        return read

    @patch("/{speaker_id:uuid}", operation_id="updateSpeaker", responses=ERRORS)
    async def update(
        self,
        event: FromPath[str],
        speaker_id: FromPath[UUID],
        data: JSONBody[SpeakerUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> SpeakerRead:
        read = speakers.speaker_read(await speakers.update_speaker(db_session, event, speaker_id, data))
        await db_session.commit()
        return read


def _session_id(session_ref: str) -> UUID:
    try:
        return UUID(session_ref)
    except ValueError:
        raise NotFound(N_("no such session"), field="session_id") from None


class SessionController(Controller):
    """One session: public detail; edit, move, publish, cancel and delete (drafts) for organizers.

    GET, PATCH and DELETE share ``/{session_ref}`` (a string: GET also serves ``{id}.ics``), so the spec has
    one path for the one resource and a 405's ``Allow`` matches what it documents."""

    path = "/api/sessions"
    tags = ["program"]
    guards = [requires_organizer_unless_public]

    @get(
        "/{session_ref:str}",
        operation_id="getSession",
        security=[],
        opt={"public": True},
        responses=problem_responses(304, 404),
    )
    async def detail(
        self,
        session_ref: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> Response[Any]:
        """A published or cancelled session of a published event as JSON (`/api/sessions/{id}`) or as
        iCalendar (`/api/sessions/{id}.ics`); ETag/Last-Modified with 304. (One route serves both: a path
        parameter can't carry a suffix, and two GET routes can't share the segment.)"""
        is_calendar = session_ref.endswith(".ics")
        session_id = _session_id(session_ref.removesuffix(".ics"))
        if is_calendar:
            return await session_calendar(request, db_session, state.settings, session_id)
        head = await public.session_head(db_session, session_id)
        locale = current_locale()
        etag_source = f"{head.version}|{locale}"
        cached = SESSION_BODIES.get(etag_source)
        if cached is None and not not_modified(request, etag_of(etag_source), head.last_modified):
            await begin_autocommit(db_session)
            read = await public.public_session_read(db_session, session_id, head.talks_until, locale)
            cached = msgspec.json.encode(read)
            SESSION_BODIES.put(etag_source, cached)
        return conditional(request, etag_source, head.last_modified, lambda: cached, locale)

    @patch("/{session_ref:str}", operation_id="updateSession", responses=ERRORS, security=BEARER)
    async def update(
        self,
        session_ref: FromPath[str],
        data: JSONBody[SessionUpdate],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> SessionRead:
        """Edit or move (``starts_at``/``ends_at``/``room_id``); time, room and title changes bump ``sequence``."""
        session_id = _session_id(session_ref)
        session, _ = await services.update_session(db_session, session_id, data, actor=actor_of(request))
        read = queries.to_read(session, await queries.event_by_id(db_session, session.event_id))
        await db_session.commit()
        return read

    @post(
        "/{session_id:uuid}/publish",
        operation_id="publishSession",
        status_code=HTTP_200_OK,
        responses=ERRORS,
        security=BEARER,
    )
    async def publish(
        self,
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        data: JSONBody[PublishRequest | None] = None,
    ) -> SessionRead:
        """Publish a draft or reinstate a cancelled session; 409 with the conflicts unless overridden."""
        session, _ = await services.publish_session(
            db_session, session_id, override=bool(data and data.override_conflicts), actor=actor_of(request)
        )
        read = queries.to_read(session, await queries.event_by_id(db_session, session.event_id))
        await db_session.commit()
        return read

    @post(
        "/{session_id:uuid}/cancel",
        operation_id="cancelSession",
        status_code=HTTP_200_OK,
        responses=ERRORS,
        security=BEARER,
    )
    async def cancel(
        self, session_id: FromPath[UUID], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> SessionRead:
        """Cancelled sessions stay in the program and feeds, marked cancelled."""
        session, _ = await services.cancel_session(db_session, session_id, actor=actor_of(request))
        read = queries.to_read(session, await queries.event_by_id(db_session, session.event_id))
        await db_session.commit()
        return read

    @delete(
        "/{session_ref:str}",
        operation_id="deleteSession",
        status_code=HTTP_204_NO_CONTENT,
        responses=ERRORS,
        security=BEARER,
    )
    async def remove(
        self, session_ref: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> None:
        """Drafts only: a published session must be cancelled so calendars learn of it."""
        await services.delete_session(db_session, _session_id(session_ref), actor=actor_of(request))
        await db_session.commit()


PROGRAM_CONTROLLERS = (
    ProgramController,
    OrganizerProgramController,
    ConflictController,
    ProgramCsvController,
    SpeakerController,
    SessionController,
)
