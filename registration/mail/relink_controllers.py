"""HTTP for taking secret links back: the API verbs, the buttons on the buyer's and the attendee's pages, and
the organizer's (``registration.mail.relink`` does the work; ``registration.links.rule`` decides who may)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import page_brand
from events.models import Event
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.errors import NotFound, problem_responses
from podium.i18n import N_, gettext
from podium.pages import redirect, render
from podium.settings import Settings
from registration.links.access import RegistrationHolder, caller, is_organizer, order_link, registration_holder_link
from registration.links.rule import ORGANIZERS, SECRET_ONLY, Opener
from registration.mail import relink
from registration.models import Order, Registration
from registration.schemas import LinkRegenerated


async def _new_order_link(
    request: Request[Any, Any, Any], db_session: AsyncSession, settings: Settings, order: Order
) -> Order:
    """A new link for an order the caller opened (``link_rule``)."""
    organizer = is_organizer(request)
    user = caller(request)
    actor = f"organizer:{user.email}" if organizer and user else f"buyer:{order.buyer_email}"
    limit = relink.link_mail_limit(settings, "order", order.id)
    order = await relink.regenerate_order_link(
        db_session, order.id, actor=actor, by_organizer=organizer, mail_limit=limit
    )
    await db_session.commit()
    return order


async def _new_registration_link(
    db_session: AsyncSession, settings: Settings, holder: RegistrationHolder
) -> Registration:
    """A new link for a registration the caller opened (``link_rule``): by the attendee, the buyer or an organizer."""
    registration = holder.registration
    limit = relink.link_mail_limit(settings, "registration", registration.id)
    registration = await relink.regenerate_registration_link(
        db_session,
        registration.id,
        actor=holder.actor,
        by_organizer=holder.opener is Opener.ROLE,
        mail_limit=limit,
    )
    await db_session.commit()
    return registration


class LinkController(Controller):
    """The holder (by the secret), the buyer (a registration not transferred away) or an organizer."""

    tags = ["orders"]
    dependencies = {"order": order_link(ORGANIZERS), "holder": registration_holder_link(ORGANIZERS)}

    @post(
        "/api/orders/{order_id:uuid}/link",
        operation_id="regenerateOrderLink",
        status_code=HTTP_200_OK,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422, 429),
    )
    async def order_link(
        self,
        order: NamedDependency[Order],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> LinkRegenerated:
        """A new order link, mailed to the buyer; the old one answers 404 from now on."""
        order = await _new_order_link(request, db_session, state.settings, order)
        return LinkRegenerated(mailed_to=order.buyer_email, secret_version=order.secret_version)

    @post(
        "/api/registrations/{registration_id:uuid}/link",
        operation_id="regenerateRegistrationLink",
        status_code=HTTP_200_OK,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422, 429),
    )
    async def registration_link(
        self, holder: NamedDependency[RegistrationHolder], state: State, db_session: NamedDependency[AsyncSession]
    ) -> LinkRegenerated:
        """A new link to the attendee's page, mailed to the attendee; the old one and the calendar feed made
        from it answer 404 from now on (the badge stays valid)."""
        registration = await _new_registration_link(db_session, state.settings, holder)
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
    # The attendee's page is the attendee's (organizers have their own button, below).
    dependencies = {"order": order_link(ORGANIZERS), "holder": registration_holder_link(SECRET_ONLY)}

    @post("/orders/{order_id:uuid}/link")
    async def order_link(
        self,
        order: NamedDependency[Order],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        order = await _new_order_link(request, db_session, state.settings, order)
        return await _link_sent(request, db_session, order.event_id, "your order", order.buyer_email)

    @post("/registrations/{registration_id:uuid}/link")
    async def registration_link(
        self,
        holder: NamedDependency[RegistrationHolder],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        registration = await _new_registration_link(db_session, state.settings, holder)
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
            raise NotFound(N_("no such registration at this event"), field="registration_id")
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
        found = await self._registration(db_session, slug, registration_id)
        holder = RegistrationHolder(found, Opener.ROLE, caller(request))
        registration = await _new_registration_link(db_session, state.settings, holder)
        return self._back(slug, gettext("A new link to their page went to %(email)s.") % {"email": registration.email})

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
        order = await _new_order_link(
            request, db_session, state.settings, await db_session.get_one(Order, registration.order_id)
        )
        return self._back(slug, gettext("A new link to the order went to %(email)s.") % {"email": order.buyer_email})
