"""A person's own order ends the unpaid holds placed under their email.

An unpaid hold must not keep anyone from registering: before, a hold placed under someone else's email (by
mistake, by a colleague, or by someone blocking them) made that person's own order answer 409
``already_registered`` until it expired, and could be placed again. Now the person's order ends such holds in
its own transaction, with ``end_pending`` (pending → cancelled exactly once, seats given back once), and the
people concerned are mailed. A paid registration still answers 409.

Races: two orders for one email at once both try to end the hold; ``end_pending`` lets one win, and the
partial unique index on active registrations lets exactly one of the new registrations in (the other order
answers 409). A payment arriving for the ended order is refunded (``payment_outcomes``: it is cancelled).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from registration.mail.services import enqueue_hold_released_mail
from registration.models import Order, OrderStatus
from registration.orders.holds import end_pending


async def release_holds_of(
    db_session: AsyncSession, held: dict[str, UUID], *, event: Event, new_buyer_email: str, actor: str
) -> None:
    """End every unpaid order in ``held`` (email → order), in order-id order; the caller commits."""
    for order_id in sorted(set(held.values()), key=str):
        emails = sorted(email for email, held_by in held.items() if held_by == order_id)
        note = f"released: {', '.join(emails)} placed an order of their own"
        if not await end_pending(db_session, order_id, OrderStatus.CANCELLED, actor=actor, note=note):
            continue  # paid, expired or released meanwhile: the unique index decides what happens next
        released = await db_session.get(Order, order_id)
        assert released is not None  # end_pending just changed it
        await enqueue_hold_released_mail(db_session, event, released, emails, new_buyer_email)
