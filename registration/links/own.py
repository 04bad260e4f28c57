"""A signed-in person's own registrations at an event, found by the email address their sign-in proved.

Passwordless sign-in mails a code to the address, so whoever is signed in controls it: the same mailbox that
received the order's and the registration's secret links. Showing those links to them reveals nothing new, and
lets one identity reach their abstracts, registrations and agenda from one place. Registrations held by this
address lead to their own page (agenda, badge, letter); orders bought with it lead to the order page.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.links.tokens import order_secret, registration_secret
from registration.models import ACTIVE_REGISTRATION_STATUSES, Category, Order, Registration


@dataclass(frozen=True, slots=True)
class OwnRegistration:
    registration_id: UUID
    name: str
    category: str
    status: str
    registration_path: str | None
    """The attendee's own page, when this address is the attendee's."""
    order_path: str | None
    """The order page, when this address bought it."""


async def own_registrations(
    db_session: AsyncSession, secret_key: str, event_id: UUID, email: str
) -> list[OwnRegistration]:
    """The event's active registrations that ``email`` holds or bought, in the order they were placed."""
    address = email.strip().lower()
    rows = (
        await db_session.execute(
            select(Registration, Order.id, Order.secret_version, Order.buyer_email, Category.name)
            .join(Order, Order.id == Registration.order_id)
            .join(Category, Category.id == Registration.category_id)
            .where(
                Registration.event_id == event_id,
                Registration.status.in_([s.value for s in ACTIVE_REGISTRATION_STATUSES]),
                or_(func.lower(Registration.email) == address, func.lower(Order.buyer_email) == address),
            )
            .order_by(Order.created_at, Registration.position)
        )
    ).all()
    found = []
    for registration, order_id, order_version, buyer_email, category in rows:
        mine = registration.email.strip().lower() == address
        bought = buyer_email.strip().lower() == address
        secret = registration_secret(secret_key, registration.id, registration.secret_version)
        found.append(
            OwnRegistration(
                registration_id=registration.id,
                name=f"{registration.first_name} {registration.last_name}",
                category=category,
                status=registration.status,
                registration_path=f"/registrations/{registration.id}?secret={secret}" if mine else None,
                order_path=f"/orders/{order_id}?secret={order_secret(secret_key, order_id, order_version)}"
                if bought
                else None,
            )
        )
    return found
