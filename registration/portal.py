"""Who may open a registration: the one rule behind the attendee's page, agenda, badge and certificate.

The registration's current secret (the attendee's own link) always opens it; the order's secret (the buyer's
link) opens it only until the registration is transferred away, so a buyer who handed a seat to a colleague
can no longer see that colleague's badge or agenda; staff or organizers open it where the route allows their
role. Anything else gets the 404 an unknown id gets, so a wrong secret reveals nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth.schemas import CurrentUser
from podium.errors import NotFound
from registration.links import link_secret_matches, registration_secret
from registration.models import Order, Registration
from registration.orders import secret_matches as order_secret_matches


def registration_secret_matches(secret_key: str, registration: Registration, candidate: str | None) -> bool:
    expected = registration_secret(secret_key, registration.id, registration.secret_version)
    return link_secret_matches(expected, candidate)


async def may_open(
    db_session: AsyncSession,
    registration: Registration,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    roles: Collection[str] = (),
) -> bool:
    if user is not None and user.role in roles:
        return True
    if registration_secret_matches(secret_key, registration, secret):
        return True
    if not secret or registration.transferred_at is not None:
        return False
    order = await db_session.get(Order, registration.order_id)
    return order is not None and order_secret_matches(secret_key, order, secret)


async def registration_for_viewer(
    db_session: AsyncSession,
    registration_id: UUID,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    roles: Collection[str] = (),
    for_update: bool = False,
) -> Registration:
    """The registration if the caller may open it (see the module's rule); otherwise 404. ``roles`` are the
    signed-in roles the route lets in without a secret (none: only secrets)."""
    registration = await db_session.get(Registration, registration_id, with_for_update=for_update)
    if registration is None or not await may_open(
        db_session, registration, secret=secret, secret_key=secret_key, user=user, roles=roles
    ):
        raise NotFound("no such registration", field="registration_id")
    return registration
