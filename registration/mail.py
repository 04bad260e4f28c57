"""What we tell people when an order is paid: one mail per attendee (what they're registered for, or that
it awaits verification) and one to the buyer with the order link and, for money paid, the receipt PDF.

Written into the outbox inside the confirming transaction, so the mails exist exactly when the payment
does; dedupe keys make confirming twice (a replayed webhook) mail nobody twice.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from registration.models import AddOn, Category, Order, Receipt, Registration, RegistrationStatus
from registration.outbox import enqueue
from registration.receipts import event_dates, format_money, receipt_number


def _where(event: Event) -> str:
    return f"{event.venue}, {event.city}" if event.city else event.venue


async def enqueue_confirmation_mail(db_session: AsyncSession, order: Order) -> None:
    """Called in the transaction that confirms ``order`` (after its receipt, if any, was issued)."""
    event = await db_session.get(Event, order.event_id)
    if event is None:  # the order's foreign key makes this impossible short of a broken database
        raise LookupError(f"order {order.id} has no event")
    registrations = (
        await db_session.scalars(
            select(Registration).where(Registration.order_id == order.id).order_by(Registration.position)
        )
    ).all()
    categories = {
        c.id: c.name for c in (await db_session.scalars(select(Category).where(Category.event_id == event.id))).all()
    }
    add_ons = {a.id: a.name for a in (await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id))).all()}
    # Dates are the event's local calendar days; the zone is named so nobody converts them again.
    when = f"{event_dates(event)} ({event.timezone})"
    lines = []
    for registration in registrations:
        if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.AWAITING_VERIFICATION):
            continue
        category = categories.get(registration.category_id, "Registration")
        extras = "".join(f"\n  + {add_ons.get(a.add_on_id, 'add-on')}" for a in registration.add_ons)
        waiting = registration.status == RegistrationStatus.AWAITING_VERIFICATION
        lines.append(
            f"- {registration.first_name} {registration.last_name}: {category}{extras}"
            + (" (awaiting verification)" if waiting else "")
        )
        status = (
            "Your registration is paid and awaits verification: the organizers will check your eligibility "
            "for this category and write again when it is confirmed."
            if waiting
            else "You are registered."
        )
        await enqueue(
            db_session,
            dedupe_key=f"confirmation:{registration.id}",
            to=registration.email,
            subject=f"{event.name}: {'registration awaiting verification' if waiting else 'you are registered'}",
            body=(
                f"Hello {registration.first_name},\n\n{status}\n\n{event.name}\n{when}\n{_where(event)}\n\n"
                f"Registration: {category}{extras}\n"
                f"Booked by: {order.buyer_name}\n\n"
                f"Your page (personal agenda, calendar feed, badge): {{registration_link:{registration.id}}}\n"
                + (
                    ""
                    if waiting
                    else "Your badge is attached: print it, or show the QR code on your phone at the door.\n"
                )
            ),
            # The badge comes once the registration counts (after verification, for those who need it).
            attachments=[] if waiting else [f"badge:{registration.id}"],
        )
    receipt = await db_session.scalar(select(Receipt).where(Receipt.order_id == order.id))
    total = format_money(order.total, order.currency)
    summary = (
        f"Hello {order.buyer_name},\n\nThank you: your order for {event.name} is confirmed.\n\n"
        f"{when}\n{_where(event)}\n\n" + "\n".join(lines) + f"\n\nTotal paid: {total}\n"
    )
    link = f"\nYour order (details, cancel, transfer): {{order_link:{order.id}}}\n"
    if receipt is None:  # nothing to pay: no receipt, but the buyer still gets the order and its link
        await enqueue(
            db_session,
            dedupe_key=f"order-confirmed:{order.id}",
            to=order.buyer_email,
            subject=f"{event.name}: order confirmed",
            body=summary + link,
        )
        return
    number = receipt_number(event.slug, receipt.number)
    await enqueue(
        db_session,
        dedupe_key=f"receipt:{order.id}",
        to=order.buyer_email,
        subject=f"{event.name}: receipt {number} ({total})",
        body=summary + f"Receipt: {number} (attached)\n" + link,
        attachments=[f"receipt:{order.id}"],
    )


async def enqueue_hold_released_mail(
    db_session: AsyncSession, event: Event, released: Order, emails: list[str], new_buyer_email: str
) -> None:
    """An unpaid order held a place under these people's emails and they placed orders of their own, which
    ended it: each person is told (someone may have been holding a place in their name), and so is the
    released order's buyer, whose order is now cancelled."""
    for email in emails:
        await enqueue(
            db_session,
            dedupe_key=f"hold-released:{released.id}:{email}",
            to=email,
            subject=f"{event.name}: an unpaid order under your email was released",
            body=(
                f"Hello,\n\nAn unpaid order for {event.name} held a place under your email address ({email}). "
                "You have now placed an order of your own, so that earlier order was released and its places "
                "given back; your own order is the one that counts.\n\n"
                f"The earlier order was placed by {released.buyer_name} on "
                f"{released.created_at:%Y-%m-%d %H:%M} UTC. If you don't know about it, nothing more is needed: "
                "it was never paid.\n"
            ),
        )
    if released.buyer_email not in emails and released.buyer_email != new_buyer_email:
        await enqueue(
            db_session,
            dedupe_key=f"hold-released-buyer:{released.id}",
            to=released.buyer_email,
            subject=f"{event.name}: your unpaid order was cancelled",
            body=(
                f"Hello {released.buyer_name},\n\nYour unpaid order for {event.name} held places for "
                f"{', '.join(emails)}, who has now registered with an order of their own. An unpaid order "
                "never blocks a person's own registration, so yours was cancelled and nothing was charged.\n\n"
                "If you still want to register the others in it, please place a new order.\n"
                f"Your order: {{order_link:{released.id}}}\n"
            ),
        )
