"""HTTP for waitlists: join a sold-out item, see your place or offer, leave. Claiming is placing an order."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from podium import rate_limits
from podium.client_address import client_address
from podium.errors import problem_responses
from podium.settings import Settings
from registration.links.access import waitlist_entry_link
from registration.models import WaitlistEntry
from registration.orders.limits import waitlist_limits
from registration.schemas import WaitlistEntryRead, WaitlistJoin
from registration.waitlist import services as waitlist


class WaitlistJoinController(Controller):
    path = "/api/events/{event:str}/waitlist"
    tags = ["waitlist"]

    @post("/", operation_id="joinWaitlist", security=[], responses=problem_responses(404, 409, 422, 429))
    async def join(
        self,
        event: FromPath[str],
        data: JSONBody[WaitlistJoin],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[WaitlistEntryRead]:
        """Queue for a sold-out category or add-on (201); joining again returns your place (200); 429 when
        this address or email joined too often lately."""
        settings: Settings = state.settings
        await rate_limits.hit(db_session, waitlist_limits(settings, client_address(request), data.email))
        entry, created = await waitlist.join(
            db_session, event_slug=event, data=data, secret_key=settings.secret_key, base_url=settings.base_url
        )
        await db_session.commit()
        return Response(entry, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


class WaitlistEntryController(Controller):
    """A waitlist place, opened by its link's token (``registration.links.access``)."""

    path = "/api/waitlist/{entry_id:uuid}"
    tags = ["waitlist"]
    dependencies = {"entry": waitlist_entry_link()}

    @get("/", operation_id="getWaitlistEntry", security=[], responses=problem_responses(404, 422))
    async def read(
        self, entry: NamedDependency[WaitlistEntry], state: State, db_session: NamedDependency[AsyncSession]
    ) -> WaitlistEntryRead:
        """Your place in the queue, or your offer and until when it holds the seat."""
        settings: Settings = state.settings
        return await waitlist.entry_read(db_session, entry, secret_key=settings.secret_key, base_url=settings.base_url)

    @post(
        "/leave",
        operation_id="leaveWaitlist",
        security=[],
        status_code=HTTP_200_OK,
        responses=problem_responses(404, 422),
    )
    async def leave(
        self, entry: NamedDependency[WaitlistEntry], state: State, db_session: NamedDependency[AsyncSession]
    ) -> WaitlistEntryRead:
        settings: Settings = state.settings
        entry = await waitlist.leave(db_session, entry)
        read = await waitlist.entry_read(db_session, entry, secret_key=settings.secret_key, base_url=settings.base_url)
        await db_session.commit()
        return read
