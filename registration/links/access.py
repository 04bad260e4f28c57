"""Secret links as Litestar dependencies: a route that opens an order, a registration or a waitlist place by its
link registers ``order_link``, ``registration_link`` (``registration_holder_link`` where who opened it is
recorded) or ``waitlist_entry_link`` and its handler takes the opened object (or the caller gets the 404).

Each dependency reads the secret once, from its header (API clients: it stays out of access logs) or else from
``?secret=`` (``?token=`` for a waitlist place: the links in mails), and applies ``registration.links.rule``. The
parameters are the dependency's, so Litestar documents them on every route that takes it. Their pattern (which
bounds the length too) is only documentation, not validated here: a secret of any other shape, too long, not
ASCII, is a wrong secret with the same 404 as any other (``link_secret_matches``), never a 422 that would tell
a prober which guesses are well-formed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from uuid import UUID

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth.schemas import CurrentUser
from registration.links import rule as link_rule
from registration.links.rule import ORGANIZERS, Opener
from registration.links.tokens import LINK_SECRET_SCHEMA
from registration.models import Order, Registration, WaitlistEntry

SecretQuery = Annotated[
    str | None,
    QueryParameter(
        name="secret",
        schema_extra=LINK_SECRET_SCHEMA,
        description="the secret from the link (the header, where a route takes one, is preferred)",
    ),
]
OrderSecretHeader = Annotated[
    str | None,
    HeaderParameter(
        name="X-Order-Secret",
        schema_extra=LINK_SECRET_SCHEMA,
        description="the order's secret (from its link)",
    ),
]
RegistrationSecretHeader = Annotated[
    str | None,
    HeaderParameter(
        name="X-Registration-Secret",
        schema_extra=LINK_SECRET_SCHEMA,
        description="the registration's secret, or its order's while the registration has not been transferred",
    ),
]
WaitlistToken = Annotated[
    str | None,
    QueryParameter(name="token", schema_extra=LINK_SECRET_SCHEMA),
]


@dataclass(frozen=True)
class RegistrationHolder:
    """An opened registration and who opened it: the audit log names the attendee, the buyer or the user."""

    registration: Registration
    opener: Opener
    user: CurrentUser | None

    @property
    def actor(self) -> str:
        if self.opener is Opener.ROLE and self.user is not None:
            return f"{self.user.role}:{self.user.email}"
        return f"attendee:{self.registration.email}" if self.opener is Opener.ATTENDEE else "buyer"


def caller(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def is_organizer(request: Request[Any, Any, Any]) -> bool:
    user = caller(request)
    return user is not None and user.role in ORGANIZERS


def actor(request: Request[Any, Any, Any], order: Order) -> str:
    """Who changed an order, for its audit trail: the organizer by email, else the buyer whose link opened it."""
    user = caller(request)
    if user is not None and user.role in ORGANIZERS:
        return f"organizer:{user.email}"
    return f"buyer:{order.buyer_email}"


class OrderOpener(Protocol):
    """How an order is read and opened: ``link_rule.open_order``, or one that reads more with it."""

    async def __call__(
        self,
        db_session: AsyncSession,
        order_id: UUID,
        *,
        secret: str | None,
        secret_key: str,
        user: CurrentUser | None,
        admits: Collection[str],
        for_update: bool,
    ) -> Order: ...


def order_link(
    admits: Collection[str] = ORGANIZERS, *, for_update: bool = False, opener: OrderOpener = link_rule.open_order
) -> Provide:
    """The order of the path's ``order_id``, opened by its secret or, where ``admits`` names their role, a user.

    ``for_update``: read with its row locked (PostgreSQL), for a route that changes the order at once: the one
    read of the order serves the check and the change. ``opener``: what reads it (a payment's reads what its
    confirmation needs with it, ``order_facts.open_order_to_pay``); each applies ``link_rule``."""

    async def order(
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: SecretQuery = None,
        x_order_secret: OrderSecretHeader = None,
    ) -> Order:
        return await opener(
            db_session,
            order_id,
            secret=x_order_secret or secret,
            secret_key=state.settings.secret_key,
            user=caller(request),
            admits=admits,
            for_update=for_update,
        )

    return Provide(order)


def registration_holder_link(admits: Collection[str]) -> Provide:
    """The path's registration and who opened it (``link_rule``), for routes that record who acted."""

    async def holder(
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: SecretQuery = None,
        x_registration_secret: RegistrationSecretHeader = None,
    ) -> RegistrationHolder:
        user = caller(request)
        registration, opener = await link_rule.open_registration_as(
            db_session,
            registration_id,
            secret=x_registration_secret or secret,
            secret_key=state.settings.secret_key,
            user=user,
            admits=admits,
        )
        return RegistrationHolder(registration, opener, user)

    return Provide(holder)


def registration_link(admits: Collection[str]) -> Provide:
    """The registration of the path's ``registration_id``, opened by ``link_rule``'s rule (``admits``: the
    signed-in roles the route lets in without a secret)."""

    async def registration(
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: SecretQuery = None,
        x_registration_secret: RegistrationSecretHeader = None,
    ) -> Registration:
        return await link_rule.open_registration(
            db_session,
            registration_id,
            secret=x_registration_secret or secret,
            secret_key=state.settings.secret_key,
            user=caller(request),
            admits=admits,
        )

    return Provide(registration)


async def _waitlist_entry(
    entry_id: FromPath[UUID],
    state: State,
    db_session: NamedDependency[AsyncSession],
    token: WaitlistToken = None,
) -> WaitlistEntry:
    return await link_rule.open_waitlist_entry(db_session, entry_id, token=token, secret_key=state.settings.secret_key)


def waitlist_entry_link() -> Provide:
    """The waitlist place of the path's ``entry_id``, opened by its ``?token=`` (the link in the offer mail)."""
    return Provide(_waitlist_entry)
