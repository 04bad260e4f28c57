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
from podium.auth.services import normalise_email
from registration.models import AddOn, Category, Document, DocumentKind, Order, Registration, RegistrationStatus
from registration.outbox import enqueue
from registration.receipts import event_dates, format_money

RefundCause = Literal["duplicate", "seats_gone", "order_closed", "wrong_amount"]


def _where(event: Event) -> str:
    return f"{event.venue}, {event.city}" if event.city else event.venue


def _registration_link(registration: Registration) -> str:
    """The placeholder of this holder's link: bound to today's version, so if the registration is transferred
    before the mail goes out, the mail carries this holder's (then dead) link, never the new holder's."""
    return f"{{registration_link:{registration.id}:{registration.secret_version}}}"


async def _event_of(db_session: AsyncSession, event_id: object) -> Event:
    event = await db_session.get(Event, event_id)
    if event is None:  # the foreign key makes this impossible short of a broken database
        raise LookupError(f"no event {event_id}")
    return event


_NOT_YOU = (
    "If you did not ask for this, someone who had your previous link may have: it no longer works, and this new "
    "one is only in this mail.\n"
)


async def enqueue_order_link_mail(db_session: AsyncSession, order: Order, *, by_organizer: bool) -> None:
    """The buyer's new order link after it was regenerated (``order.secret_version`` is the new version)."""
    event = await _event_of(db_session, order.event_id)
    who = "The organizers made a new link" if by_organizer else "A new link was made"
    await enqueue(
        db_session,
        dedupe_key=f"order-link:{order.id}:{order.secret_version}",
        to=order.buyer_email,
        subject=f"{event.name}: your new order link",
        body=(
            f"Hello {order.buyer_name},\n\n{who} to your order for {event.name}. "
            "The previous link no longer works.\n\n"
            f"Your order (details, cancel, transfer): {{order_link:{order.id}:{order.secret_version}}}\n\n" + _NOT_YOU
        ),
    )


async def enqueue_registration_link_mail(
    db_session: AsyncSession, registration: Registration, *, by_organizer: bool
) -> None:
    """The attendee's new page link after it was regenerated (``registration.secret_version`` is the new one).
    The calendar feed's address is made from the link's version, so it changed too: the mail says so."""
    event = await _event_of(db_session, registration.event_id)
    who = "The organizers made a new link" if by_organizer else "A new link was made"
    await enqueue(
        db_session,
        dedupe_key=f"registration-link:{registration.id}:{registration.secret_version}",
        to=registration.email,
        subject=f"{event.name}: your new registration link",
        body=(
            f"Hello {registration.first_name},\n\n{who} to your registration page for {event.name}. "
            "The previous link no longer works, and neither does the calendar feed address it showed: "
            "subscribe to your agenda again from the new page. Your badge stays valid.\n\n"
            f"Your page (personal agenda, calendar feed, badge): {_registration_link(registration)}\n\n" + _NOT_YOU
        ),
    )


async def enqueue_transfer_mails(
    db_session: AsyncSession, order: Order, registration: Registration, previous_email: str, previous_name: str
) -> None:
    """After a transfer: the new holder gets their link (and badge, if the registration counts); the previous
    holder learns that their link and badge stopped working."""
    event = await _event_of(db_session, registration.event_id)
    category = await db_session.get(Category, registration.category_id)
    waiting = registration.status == RegistrationStatus.AWAITING_VERIFICATION
    await enqueue(
        db_session,
        dedupe_key=f"transfer:{registration.id}:{registration.secret_version}",
        to=registration.email,
        subject=f"{event.name}: a registration was transferred to you",
        body=(
            f"Hello {registration.first_name},\n\n{order.buyer_name} transferred a registration for {event.name} "
            f"to you.\n\n{event.name}\n{event_dates(event)} ({event.timezone})\n{_where(event)}\n\n"
            f"Registration: {category.name if category else 'Registration'}"
            + (" (awaiting verification)" if waiting else "")
            + f"\n\nYour page (personal agenda, calendar feed, badge): {_registration_link(registration)}\n"
            + ("" if waiting else "Your badge is attached: print it, or show the QR code on your phone at the door.\n")
        ),
        attachments=[] if waiting else [f"badge:{registration.id}"],
    )
    if normalise_email(previous_email) != registration.email:
        await enqueue(
            db_session,
            dedupe_key=f"transferred-away:{registration.id}:{registration.secret_version}",
            to=previous_email,
            subject=f"{event.name}: your registration was transferred",
            body=(
                f"Hello {previous_name},\n\n{order.buyer_name} transferred your registration for {event.name} to "
                f"{registration.first_name} {registration.last_name}. Your registration link, calendar feed and "
                "badge no longer work.\n"
            ),
        )


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
                f"Your page (personal agenda, calendar feed, badge): {_registration_link(registration)}\n"
                + (
                    ""
                    if waiting
                    else "Your badge is attached: print it, or show the QR code on your phone at the door.\n"
                )
            ),
            # The badge comes once the registration counts (after verification, for those who need it).
            attachments=[] if waiting else [f"badge:{registration.id}"],
        )
    # The receipt was just recorded; it is numbered after commit, and the sender attaches it numbered.
    receipt = await db_session.scalar(
        select(Document.id).where(Document.order_id == order.id, Document.kind == DocumentKind.RECEIPT).limit(1)
    )
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
    await enqueue(
        db_session,
        dedupe_key=f"receipt:{order.id}",
        to=order.buyer_email,
        subject=f"{event.name}: your receipt ({total})",
        body=summary + "Your receipt is attached.\n" + link,
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
