"""HTTP for the call for abstracts: organizers write and read it whole; signed-in submitters read its open part."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import calls
from abstracts.call_schemas import CallOpenRead, CallRead, CallWrite
from abstracts.guards import requires_signed_in
from podium.auth.guards import requires_organizer
from podium.errors import problem_responses

BEARER: list[SecurityRequirement] = [{"bearer": []}]


class CallController(Controller):
    path = "/api/events/{event:str}/call-for-abstracts"
    tags = ["abstracts"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="getCallForAbstracts", responses=problem_responses(401, 403, 404))
    async def get_call(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> CallRead:
        return calls.to_read(await calls.get_call(db_session, event))

    @put("/", operation_id="putCallForAbstracts", responses=problem_responses(401, 403, 404, 409, 422))
    async def put_call(
        self, event: FromPath[str], data: JSONBody[CallWrite], db_session: NamedDependency[AsyncSession]
    ) -> CallRead:
        """Create or replace the call: times without an offset are the event's wall-clock time."""
        read = calls.to_read(await calls.put_call(db_session, event, data))
        await db_session.commit()
        return read


class OpenCallController(Controller):
    path = "/api/events/{event:str}/abstract-call"
    tags = ["abstracts"]
    guards = [requires_signed_in]
    security = BEARER

    @get("/", operation_id="getOpenCallForAbstracts", responses=problem_responses(401, 404))
    async def get_open_call(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> CallOpenRead:
        """A published event's call as submitters see it: windows, types, topics and questions."""
        return calls.to_open_read(await calls.get_call(db_session, event, published_only=True))
