"""What we tell people when their registration is confirmed: one mail per attendee, one to the buyer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from registration.models import AddOn, Category, Order, Registration, RegistrationStatus
from registration.outbox import enqueue


def money(amount: int, currency: str) -> str:
    return f"{currency} {amount / 100:,.2f}"


async def enqueue_confirmation_mail(db_session: AsyncSession, order: Order) -> None:
    """Called in the transaction that confirms ``order``: the mails go out only if it commits."""
    event = await db_session.get(Event, order.event_id)
    assert event is not None
    registrations = (
        await db_session.scalars(
            select(Registration).where(Registration.order_id == order.id).order_by(Registration.position)
        )
    ).all()
    categories = {
        c.id: c.name for c in (await db_session.scalars(select(Category).where(Category.event_id == event.id))).all()
    }
    add_ons = {a.id: a.name for a in (await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id))).all()}
    dates = f"{event.start_date:%A %B %-d, %Y}" + (
        f" to {event.end_date:%A %B %-d, %Y}" if event.end_date != event.start_date else ""
    )
    lines = []
    for registration in registrations:
        extras = "".join(f"\n  + {add_ons.get(a.add_on_id, 'add-on')}" for a in registration.add_ons)
        category = categories.get(registration.category_id, "")
        lines.append(f"- {registration.first_name} {registration.last_name}: {category}{extras}")
        waiting = registration.status == RegistrationStatus.AWAITING_VERIFICATION
        status = (
            "Your registration is paid and waits for the organizers to check your eligibility; "
            "we'll write again when it's confirmed."
            if waiting
            else "You're registered."
        )
        await enqueue(
            db_session,
            dedupe_key=f"confirmation:{registration.id}",
            to=registration.email,
            subject=f"{event.name}: {'registration received' if waiting else 'you are registered'}",
            body=(
                f"Hello {registration.first_name},\n\n{status}\n\n{event.name}\n{dates}\n"
                f"{event.venue}{', ' + event.city if event.city else ''}\n\n"
                f"Registration: {category}{extras}\n"
            ),
        )
    await enqueue(
        db_session,
        dedupe_key=f"order-confirmed:{order.id}",
        to=order.buyer_email,
        subject=f"{event.name}: order confirmed ({money(order.total, order.currency)})",
        body=(
            f"Hello {order.buyer_name},\n\nThank you: your order for {event.name} is confirmed.\n\n"
            + "\n".join(lines)
            + f"\n\nTotal paid: {money(order.total, order.currency)}\n"
            + f"\nYour order (cancel, transfer, details): {{order_link:{order.id}}}\n"
        ),
    )
