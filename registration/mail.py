"""What we tell people about payments: when an order is paid, one mail per attendee (what they're
registered for, or that it awaits verification) and one to the buyer with the order link and, for money
paid, the receipt PDF; when a payment can't be kept (a second one, a late one), that it goes back.

Written into the outbox inside the transaction that makes the change, so the mails exist exactly when it
does; dedupe keys make a replayed verdict (a webhook delivered twice) mail nobody twice.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from registration.models import AddOn, Category, Order, Receipt, Registration, RegistrationStatus
from registration.outbox import enqueue
from registration.receipts import event_dates, format_money, receipt_number

RefundCause = Literal["duplicate", "seats_gone", "order_closed", "wrong_amount"]


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


async def enqueue_payment_refund_mail(
    db_session: AsyncSession, order: Order, *, payment_id: str, amount: int, currency: str, cause: RefundCause
) -> None:
    """Called in the transaction that claims the refund of a payment ``order`` can't keep; once per payment."""
    event = await db_session.get(Event, order.event_id)
    if event is None:  # the order's foreign key makes this impossible short of a broken database
        raise LookupError(f"order {order.id} has no event")
    money = format_money(amount, currency)
    why = {
        "duplicate": (
            f"Your order for {event.name} was already paid, and a second card payment of {money} for it went "
            "through as well (a repeated or retried payment). Your order stays paid once; the second payment "
            "is being refunded in full."
        ),
        "seats_gone": (
            f"Your payment of {money} arrived after the hold on your seats had ended, and the seats had been "
            "taken meanwhile, so we could not confirm the order. The payment is being refunded in full."
        ),
        "order_closed": (
            f"Your payment of {money} arrived for an order that was already {order.status}, so it is being "
            "refunded in full."
        ),
        "wrong_amount": (
            f"Your payment of {money} did not match the order's total of {format_money(order.total, order.currency)}, "
            "so we could not confirm the order with it. The payment is being refunded in full."
        ),
    }[cause]
    await enqueue(
        db_session,
        dedupe_key=f"payment-refund:{order.id}:{payment_id}",
        to=order.buyer_email,
        subject=f"{event.name}: {'your second payment' if cause == 'duplicate' else 'your payment'} of {money} "
        "is being refunded",
        body=(
            f"Hello {order.buyer_name},\n\n{why}\n\n"
            "The refund goes back to the card you paid with; banks usually show it within 5 to 10 business days.\n"
            f"Payment reference: {payment_id}\n\nYour order: {{order_link:{order.id}}}\n"
        ),
    )
