"""HTTP for the organizer's registration tools (staff may search, for lookups at the desk)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium.auth.guards import requires_organizer, requires_staff
from podium.auth.schemas import CurrentUser
from podium.errors import problem_responses
from podium.query_params import Search
from podium.settings import Settings
from registration.admin import services as admin
from registration.cancellations import transfers
from registration.controllers import place_and_commit
from registration.models import Order
from registration.orders.view import order_read
from registration.payments.services import provider_for
from registration.schemas import (
    OrderCreate,
    OrderRead,
    OrganizerTransferIn,
    RegistrationListItem,
    RegistrationPage,
    RegistrationStats,
    VerificationDecision,
)
from registration.verification import services as verification

CategoryCode = Annotated[str | None, QueryParameter(max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
StatusFilter = Literal["held", "confirmed", "awaiting_verification", "expired", "cancelled"] | None
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
ERRORS = problem_responses(401, 403, 404, 409, 422)
BEARER: list[SecurityRequirement] = [{"bearer": []}]


def actor_of(request: Request[Any, Any, Any]) -> str:
    user = request.scope.get("user")
    return f"organizer:{user.email}" if isinstance(user, CurrentUser) else "organizer"


class RegistrationAdminController(Controller):
    path = "/api/events/{event:str}"
    tags = ["registrations: organizer"]
    security = BEARER

    @get("/registrations", operation_id="searchRegistrations", guards=[requires_staff], responses=ERRORS)
    async def search(
        self,
        event: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[Search] = None,
        category: FromQuery[CategoryCode] = None,
        status: FromQuery[StatusFilter] = None,
        limit: FromQuery[Limit] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> RegistrationPage:
        """Find registrations by name, email or affiliation (``q``), category and status."""
        found = await get_event(db_session, event)
        total, items = await admin.search_registrations(
            db_session, found, q=q, category=category, status=status, limit=limit, offset=offset
        )
        return RegistrationPage(total=total, items=items)

    @get(
        "/registrations.csv",
        operation_id="exportRegistrations",
        guards=[requires_organizer],
        responses=ERRORS,
        media_type="text/csv",
    )
    async def export(
        self,
        event: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[Search] = None,
        category: FromQuery[CategoryCode] = None,
        status: FromQuery[StatusFilter] = None,
    ) -> Response[str]:
        found = await get_event(db_session, event)
        body = await admin.registrations_csv(db_session, found, q=q, category=category, status=status)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{found.slug}-registrations.csv"'},
        )

    @post(
        "/registrations/{registration_id:uuid}/verification",
        operation_id="decideVerification",
        guards=[requires_organizer],
        status_code=HTTP_200_OK,
        responses=ERRORS,
    )
    async def decide(
        self,
        event: FromPath[str],
        registration_id: FromPath[UUID],
        data: JSONBody[VerificationDecision],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> RegistrationListItem:
        """Approve (confirmed) or reject an attendee's proof of eligibility; a rejection cancels and refunds in
        full, or moves the registration to ``move_to`` and refunds the difference (``on_reject``)."""
        found = await get_event(db_session, event)
        registration = await verification.decide(
            db_session,
            found,
            registration_id,
            approve=data.decision == "approve",
            note=data.note,
            actor=actor_of(request),
            on_reject=data.on_reject,
            move_to=data.move_to,
        )
        await db_session.commit()
        return await admin.registration_item(db_session, found, registration.id)

    @post(
        "/registrations/{registration_id:uuid}/transfer",
        operation_id="organizerTransferRegistration",
        guards=[requires_organizer],
        status_code=HTTP_200_OK,
        responses=ERRORS,
    )
    async def transfer(
        self,
        event: FromPath[str],
        registration_id: FromPath[UUID],
        data: JSONBody[OrganizerTransferIn],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> RegistrationListItem:
        """Hand a registration to someone else. The category's rules are checked for the new person (409
        naming the rule: ``member_number_required``, ``access_code_required``, ``verification_required``,
        ``price_differs``); ``override: true`` transfers anyway and records the rules overridden."""
        found = await get_event(db_session, event)
        registration = await admin.registration_of_event(db_session, found, registration_id)
        order = await db_session.get_one(Order, registration.order_id)
        await transfers.transfer(
            db_session, order, registration_id, data, actor=actor_of(request), override=data.override
        )
        await db_session.commit()
        return await admin.registration_item(db_session, found, registration_id)

    @get("/registration-stats", operation_id="registrationStats", guards=[requires_organizer], responses=ERRORS)
    async def stats(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> RegistrationStats:
        """Counts by status and revenue by category and add-on; refunds shown separately."""
        return await admin.registration_stats(db_session, await get_event(db_session, event))

    @post(
        "/comp-registrations",
        operation_id="compRegistrations",
        guards=[requires_organizer],
        status_code=HTTP_201_CREATED,
        responses=ERRORS,
    )
    async def comp(
        self,
        event: FromPath[str],
        data: JSONBody[OrderCreate],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> OrderRead:
        """Register people free of charge (speakers, staff, guests): confirmed at once, seats still count."""
        settings: Settings = state.settings
        provider = provider_for(settings)
        placed = await place_and_commit(
            db_session, settings, data, event_slug=event, client=None, actor=actor_of(request)
        )
        return await order_read(
            db_session,
            placed.order,
            secret_key=settings.secret_key,
            provider=provider,
            base_url=settings.base_url,
            known=placed.known,
        )
