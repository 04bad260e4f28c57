"""HTTP for an attendee's agenda, opened with their registration's secret link (or by an organizer)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import utcnow
from podium.errors import problem_responses
from podium.settings import Settings
from registration.links.access import registration_link
from registration.links.rule import ORGANIZERS
from registration.models import Registration
from sessions import agenda, feeds, queries
from sessions.agenda_schemas import AgendaAdd, AgendaEntryRead, AgendaFeedRead, AgendaRead
from sessions.talk_reads import embargoed_presenters


async def agenda_read(db_session: AsyncSession, settings: Settings, registration_id: UUID) -> AgendaRead:
    """The agenda as it is now, committed once the answer is built: a feed made on first use is kept (every
    handler here ends with this)."""
    registration = await db_session.get_one(Registration, registration_id, populate_existing=True)
    feed = await agenda.feed_of(db_session, registration)
    event = await queries.event_by_id(db_session, registration.event_id)
    entries = await agenda.agenda_of(db_session, registration.id)
    hidden = await embargoed_presenters(db_session, [e.session.id for e in entries], utcnow())
    url = feeds.agenda_feed_url(
        settings.base_url,
        feeds.agenda_token(settings.secret_key, feed.id, feed.version, registration.secret_version),
    )
    read = AgendaRead(
        registration_id=registration.id,
        event_slug=event.slug,
        entries=[
            AgendaEntryRead(
                session=queries.to_read(e.session, event, hidden=hidden), reserved=e.reserved, overlaps=e.overlaps
            )
            for e in entries
        ],
        overlapping=sum(1 for e in entries if e.overlaps),
        feed=AgendaFeedRead(url=url, webcal_url=feeds.webcal_url(url)),
    )
    await db_session.commit()
    return read


class AgendaController(Controller):
    """The attendee's agenda, opened by ``registration.links.access``; organizers may open any (staff may not)."""

    path = "/api/registrations/{registration_id:uuid}/agenda"
    tags = ["program: personal agenda"]
    dependencies = {"registration": registration_link(ORGANIZERS)}

    @get("/", operation_id="getAgenda", security=[{}, {"bearer": []}], responses=problem_responses(404, 422))
    async def read(
        self,
        registration: NamedDependency[Registration],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> AgendaRead:
        """The attendee's picks in time order, with overlaps flagged and the private feed's URLs."""
        return await agenda_read(db_session, state.settings, registration.id)

    @post(
        "/",
        operation_id="addToAgenda",
        security=[{}, {"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problem_responses(404, 409, 422),
    )
    async def add(
        self,
        registration: NamedDependency[Registration],
        data: JSONBody[AgendaAdd],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> AgendaRead:
        """Add a session; limited sessions reserve a seat (409 `session_full`, `add_on_required`,
        `session_cancelled`). Adding a session twice is one pick."""
        registration_id = registration.id  # read now: a lost race inside rolls back and expires the object
        await agenda.add_session(db_session, registration_id, data.session_id)
        await db_session.commit()  # before the answer is read: picks racing for a seat queue on its row's lock
        return await agenda_read(db_session, state.settings, registration_id)

    @delete(
        "/{session_id:uuid}",
        operation_id="removeFromAgenda",
        security=[{}, {"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problem_responses(404, 409, 422),
    )
    async def remove(
        self,
        registration: NamedDependency[Registration],
        session_id: FromPath[UUID],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> AgendaRead:
        """Remove a session and give its seat back."""
        registration_id = registration.id  # read now: a rollback inside expires the object
        await agenda.remove_session(db_session, registration_id, session_id)
        await db_session.commit()  # the seat is free for others before the answer is read
        return await agenda_read(db_session, state.settings, registration_id)

    @post(
        "/feed/revoke",
        operation_id="revokeAgendaFeed",
        security=[{}, {"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problem_responses(404, 422),
    )
    async def revoke(
        self,
        registration: NamedDependency[Registration],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> AgendaRead:
        """A new private feed URL; the old one answers 404 from now on."""
        registration_id = registration.id  # read now: a rollback inside expires the object
        await agenda.revoke_feed(db_session, registration)
        return await agenda_read(db_session, state.settings, registration_id)
