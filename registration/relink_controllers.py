"""HTTP for taking secret links back: the API verbs, the buttons on the buyer's and the attendee's pages, and
the organizer's (``registration.relink`` does the work; ``registration.portal`` decides who may)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import page_brand
from events.models import Event
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.auth.schemas import CurrentUser
from podium.errors import NotFound, problem_responses
from podium.pages import redirect, render
from podium.settings import Settings
from registration import orders, portal, relink
from registration.controllers import OrderSecretHeader, OrderSecretQuery
from registration.links import LINK_SECRET_SCHEMA
from registration.models import Order, Registration
from registration.schemas import LinkRegenerated

RegistrationSecretHeader = Annotated[
    str | None,
    HeaderParameter(
        name="X-Registration-Secret",
        max_length=100,
        schema_extra=LINK_SECRET_SCHEMA,
        description="the registration's secret, or its order's while it has not been transferred",
    ),
]
_ORGANIZER = ("organizer",)


def _caller(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def _is_organizer(request: Request[Any, Any, Any]) -> bool:
    user = _caller(request)
    return user is not None and user.role in _ORGANIZER


async def _new_order_link(
    request: Request[Any, Any, Any], db_session: AsyncSession, settings: Settings, order_id: UUID, secret: str | None
) -> Order:
    organizer = _is_organizer(request)
    order = await orders.get_order(
        db_session, order_id, secret=secret, secret_key=settings.secret_key, organizer=organizer
    )
    user = _caller(request)
    actor = f"organizer:{user.email}" if organizer and user else f"buyer:{order.buyer_email}"
    limit = relink.link_mail_limit(settings, "order", order.id)
    return await relink.regenerate_order_link(
        db_session, order.id, actor=actor, by_organizer=organizer, mail_limit=limit
    )


async def _new_registration_link(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    settings: Settings,
    registration_id: UUID,
    secret: str | None,
    *,
    roles: tuple[str, ...],
) -> Registration:
    user = _caller(request)
    registration = await portal.registration_for_viewer(
        db_session, registration_id, secret=secret, secret_key=settings.secret_key, user=user, roles=roles
    )
    organizer = user is not None and user.role in roles
    if organizer and user is not None:
        actor = f"organizer:{user.email}"
    elif portal.registration_secret_matches(settings.secret_key, registration, secret):
        actor = f"attendee:{registration.email}"
    else:
        actor = "buyer"
    limit = relink.link_mail_limit(settings, "registration", registration.id)
    return await relink.regenerate_registration_link(
        db_session, registration.id, actor=actor, by_organizer=organizer, mail_limit=limit
    )


class LinkController(Controller):
    """The holder (by the secret), the buyer (a registration not transferred away) or an organizer."""

    tags = ["orders"]

    @post(
        "/api/orders/{order_id:uuid}/link",
        operation_id="regenerateOrderLink",
        status_code=HTTP_200_OK,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422, 429),
    )
    async def order_link(
        self,
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: OrderSecretQuery = None,
        x_order_secret: OrderSecretHeader = None,
    ) -> LinkRegenerated:
        """A new order link, mailed to the buyer; the old one answers 404 from now on."""
        order = await _new_order_link(request, db_session, state.settings, order_id, x_order_secret or secret)
        return LinkRegenerated(mailed_to=order.buyer_email, secret_version=order.secret_version)

    @post(
        "/api/registrations/{registration_id:uuid}/link",
        operation_id="regenerateRegistrationLink",
        status_code=HTTP_200_OK,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422, 429),
    )
    async def registration_link(
        self,
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: OrderSecretQuery = None,
        x_registration_secret: RegistrationSecretHeader = None,
    ) -> LinkRegenerated:
        """A new link to the attendee's page, mailed to the attendee; the old one and the calendar feed made
        from it answer 404 from now on (the badge stays valid)."""
        registration = await _new_registration_link(
            request, db_session, state.settings, registration_id, x_registration_secret or secret, roles=_ORGANIZER
        )
        return LinkRegenerated(mailed_to=registration.email, secret_version=registration.secret_version)


async def _link_sent(
    request: Request[Any, Any, Any], db_session: AsyncSession, event_id: UUID, what: str, mailed_to: str
) -> Template:
    event = await db_session.get(Event, event_id)
    assert event is not None  # the order's or registration's foreign key
    return render(request, "registration/link_sent.html", page_brand=page_brand(event), what=what, mailed_to=mailed_to)


class LinkPages(Controller):
    """The "send a new link" buttons on the order page and the attendee's page."""

    include_in_schema = False

    @post("/orders/{order_id:uuid}/link")
    async def order_link(
        self,
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template:
        order = await _new_order_link(request, db_session, state.settings, order_id, secret)
        return await _link_sent(request, db_session, order.event_id, "your order", order.buyer_email)

    @post("/registrations/{registration_id:uuid}/link")
    async def registration_link(
        self,
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template:
        registration = await _new_registration_link(
            request, db_session, state.settings, registration_id, secret, roles=()
        )
        return await _link_sent(
            request, db_session, registration.event_id, "this registration's page", registration.email
        )


class OrganizerLinkPages(Controller):
    """The organizer's "send a new link" buttons on the registrations page."""

    path = "/organizer/events/{slug:str}"
    include_in_schema = False
    guards = [requires_organizer]

    def _back(self, slug: str, notice: str) -> Redirect:
        return redirect(f"/organizer/events/{slug}/registrations?{urlencode({'notice': notice})}")

    async def _registration(self, db_session: AsyncSession, slug: str, registration_id: UUID) -> Registration:
        event = await get_event(db_session, slug, with_children=False)
        registration = await db_session.get(Registration, registration_id)
        if registration is None or registration.event_id != event.id:
            raise NotFound("no such registration at this event", field="registration_id")
        return registration

    @post("/registrations/{registration_id:uuid}/link")
    async def registration_link(
        self,
        slug: FromPath[str],
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Redirect:
        await self._registration(db_session, slug, registration_id)
        registration = await _new_registration_link(
            request, db_session, state.settings, registration_id, None, roles=_ORGANIZER
        )
        return self._back(slug, f"A new link to their page went to {registration.email}.")

    @post("/registrations/{registration_id:uuid}/order-link")
    async def order_link(
        self,
        slug: FromPath[str],
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Redirect:
        registration = await self._registration(db_session, slug, registration_id)
        order = await _new_order_link(request, db_session, state.settings, registration.order_id, None)
        return self._back(slug, f"A new link to the order went to {order.buyer_email}.")
