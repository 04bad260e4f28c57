"""Who may open what by a secret link: the one rule, for every route and page that opens something by its link.

- An order opens with its current secret (the buyer's link).
- A registration opens with its own current secret (the attendee's link), or with its order's current secret
  until it is transferred away: a buyer who handed a seat to a colleague no longer sees that colleague's badge,
  agenda or page. A registration's secret never opens its order, nor another registration.
- A waitlist place opens with its token.
- A signed-in user opens any of them only where the route admits their role (``admits``, the route's choice:
  organizers an order, staff and organizers a badge, organizers an agenda; paying takes the secret only).

Anything else (no secret, an old one, another's, a malformed one) gets the 404 an unknown id gets, so a wrong
secret reveals nothing. ``registration.links.access`` reads the secret from the request for the API routes.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth.schemas import CurrentUser
from podium.errors import NotFound
from podium.i18n import N_
from registration.links.tokens import link_secret_matches, order_secret, registration_secret, waitlist_token
from registration.models import Order, Registration, WaitlistEntry

# Signed-in roles a route lets in without a secret.
SECRET_ONLY: frozenset[str] = frozenset()
ORGANIZERS: frozenset[str] = frozenset({"organizer"})
STAFF_AND_ORGANIZERS: frozenset[str] = frozenset({"staff", "organizer"})


class Opener(StrEnum):
    """How a registration was opened: its actor in the audit log differs (``registration.mail.relink_controllers``)."""

    ROLE = "role"
    ATTENDEE = "attendee"
    BUYER = "buyer"


def order_secret_matches(secret_key: str, order: Order, candidate: str | None) -> bool:
    return link_secret_matches(order_secret(secret_key, order.id, order.secret_version), candidate)


def registration_secret_matches(secret_key: str, registration: Registration, candidate: str | None) -> bool:
    expected = registration_secret(secret_key, registration.id, registration.secret_version)
    return link_secret_matches(expected, candidate)


# ``Session.get(..., with_for_update=True)`` as a statement: it too always queries, and loads into the
# session's identity map the same way.
_ORDER_FOR_UPDATE = (
    select(Order).where(Order.id == bindparam("order_id", type_=Order.__table__.c.id.type)).with_for_update()
)


def _admitted(user: CurrentUser | None, admits: Collection[str]) -> bool:
    return user is not None and user.role in admits


async def open_order(
    db_session: AsyncSession,
    order_id: UUID,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    admits: Collection[str] = SECRET_ONLY,
    for_update: bool = False,
) -> Order:
    """The order if its secret (or the caller's admitted role) opens it; otherwise the 404 of a missing order."""
    if for_update:  # every payment: the select built once (``get`` builds and keys a new one each call)
        order = (await db_session.execute(_ORDER_FOR_UPDATE, {"order_id": order_id})).scalar_one_or_none()
    else:
        order = await db_session.get(Order, order_id)
    return opened_order(order, secret=secret, secret_key=secret_key, user=user, admits=admits)


def opened_order(
    order: Order | None,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    admits: Collection[str] = SECRET_ONLY,
) -> Order:
    """``order`` (read by the caller) if its secret or the caller's admitted role opens it; else the 404."""
    if order is None or not (_admitted(user, admits) or order_secret_matches(secret_key, order, secret)):
        raise NotFound(N_("no such order, or the link is not valid"), field="order")
    return order


async def opener_of(
    db_session: AsyncSession,
    registration: Registration,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    admits: Collection[str] = SECRET_ONLY,
) -> Opener | None:
    """Who the caller is to ``registration`` by the module's rule; None: nobody it opens for."""
    if _admitted(user, admits):
        return Opener.ROLE
    if registration_secret_matches(secret_key, registration, secret):
        return Opener.ATTENDEE
    if not secret or registration.transferred_at is not None:
        return None
    order = await db_session.get(Order, registration.order_id)
    return Opener.BUYER if order is not None and order_secret_matches(secret_key, order, secret) else None


async def open_registration_as(
    db_session: AsyncSession,
    registration_id: UUID,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    admits: Collection[str] = SECRET_ONLY,
) -> tuple[Registration, Opener]:
    """The registration and who opened it, if the module's rule lets the caller; otherwise 404."""
    registration = await db_session.get(Registration, registration_id)
    opener = (
        None
        if registration is None
        else await opener_of(db_session, registration, secret=secret, secret_key=secret_key, user=user, admits=admits)
    )
    if registration is None or opener is None:
        raise NotFound(N_("no such registration"), field="registration_id")
    return registration, opener


async def open_registration(
    db_session: AsyncSession,
    registration_id: UUID,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    admits: Collection[str] = SECRET_ONLY,
) -> Registration:
    """The registration if the module's rule lets the caller open it; otherwise 404."""
    registration, _ = await open_registration_as(
        db_session, registration_id, secret=secret, secret_key=secret_key, user=user, admits=admits
    )
    return registration


async def open_waitlist_entry(
    db_session: AsyncSession, entry_id: UUID, *, token: str | None, secret_key: str
) -> WaitlistEntry:
    """The waitlist place its token opens; a wrong token looks like a missing place."""
    entry = await db_session.get(WaitlistEntry, entry_id)
    if entry is None or not link_secret_matches(waitlist_token(secret_key, entry.id), token):
        raise NotFound(N_("no such waitlist entry, or the link is not valid"), field="entry")
    return entry
