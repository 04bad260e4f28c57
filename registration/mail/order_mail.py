"""An order's mails: held (pay by …), a reminder before the hold ends, expired, confirmed (with the receipt and
badges), a hold another order released, and a payment that goes back. Written as ``registration.mail.services`` says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.auth.services import normalise_email
from podium.jobs.outbox_drain import StillTrue
from podium.outbox import Mail, add_all_once, enqueue
from registration.documents.order_facts import OrderFacts
from registration.mail.context import (
    NamedItem,
    attendee_context,
    event_context,
    event_of,
    order_link,
    registration_link,
)
from registration.models import Order, OrderStatus, Payment, Registration, RegistrationStatus

# How long a placed order's "pay by" mail waits for the payment that makes it needless (``held_mail_due``).
HELD_MAIL_DELAY = dt.timedelta(seconds=30)

# "excess": what an over-paying bank transfer brought beyond the order's total.
RefundCause = Literal["duplicate", "seats_gone", "order_closed", "wrong_amount", "excess"]


def held_mail_due(hold_expires_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When a new order's "pay by …" mail falls due if it is still unpaid: HELD_MAIL_DELAY after the order, at
    most a quarter of the hold. Most buyers pay on the page they just placed the order on; their order is paid
    before then and the mail is never written (a mail the person never needed, arriving seconds before the
    receipt, and a row written and superseded per order in a rush). A buyer who leaves to pay later has it
    with the next sweep (``registration.mail.held``), within the minute."""
    return now + min(HELD_MAIL_DELAY, max(hold_expires_at - now, dt.timedelta()) / 4)


def order_held_mail(
    event: Event,
    order: Order,
    registrations: Sequence[Registration],
    categories: Mapping[UUID, NamedItem],
    add_ons: Mapping[UUID, NamedItem],
) -> Mail:
    """The buyer's "your places are held, pay by …" mail: what is held, the total and the pay link."""
    return Mail(
        dedupe_key=f"order-held:{order.id}",
        to=order.buyer_email,
        template="order_held",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "order_id": order.id,
            "expires_at": order.hold_expires_at,
            "total": order.total,
            "currency": order.currency,
            "attendees": [attendee_context(r, categories, add_ons, order.locale) for r in registrations],
            "order_link": order_link(order),
        },
    )


async def _orders_still_held(db_session: AsyncSession, contexts: Sequence[Mapping[str, Any]]) -> list[bool]:
    """A "pay by …" mail is true while the order is unpaid and its hold ends when the mail says."""
    ids = {UUID(str(context["order_id"])) for context in contexts}
    rows = await db_session.execute(select(Order.id, Order.status, Order.hold_expires_at).where(Order.id.in_(ids)))
    holds = {
        row.id: (row.hold_expires_at if row.hold_expires_at.tzinfo else row.hold_expires_at.replace(tzinfo=dt.UTC))
        for row in rows
        if row.status == OrderStatus.PENDING and row.hold_expires_at is not None
    }

    def still_held(context: Mapping[str, Any]) -> bool:
        expires = holds.get(UUID(str(context["order_id"])))
        said = dt.datetime.fromisoformat(str(context["expires_at"]))
        return expires is not None and abs(expires - said) < dt.timedelta(seconds=1)  # (databases round sub-seconds)

    return [still_held(context) for context in contexts]


async def _bank_received(db_session: AsyncSession, order: Order) -> int:
    """What arrived by bank transfer for an order paid that way (``registration.bank``), else 0."""
    if not order.payment_reference:
        return 0
    received = await db_session.scalar(
        select(func.coalesce(func.sum(Payment.amount_captured), 0)).where(
            Payment.order_id == order.id, Payment.provider == "bank_transfer"
        )
    )
    return int(received or 0)


async def enqueue_hold_reminder(db_session: AsyncSession, order: Order, event: Event) -> None:
    """Once per hold, some time before it ends (``reminders``); superseded if the order is paid first. An order
    paid by bank transfer is reminded of its invoice: the reference and what is still due."""
    assert order.hold_expires_at is not None
    received = await _bank_received(db_session, order)
    await enqueue(
        db_session,
        dedupe_key=f"hold-reminder:{order.id}:{order.hold_expires_at:%Y%m%d%H%M%S}",
        to=order.buyer_email,
        template="hold_reminder",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "order_id": order.id,
            "expires_at": order.hold_expires_at,
            "total": order.total,
            "currency": order.currency,
            "order_link": order_link(order),
            "bank_reference": order.payment_reference or "",
            "amount_due": max(0, order.total - received),
        },
    )


async def enqueue_hold_expired(db_session: AsyncSession, order: Order) -> None:
    """The hold ran out unpaid (the sweep, or a later order finding it stale): once per order. An order paid by
    bank transfer says its invoice was not paid by the due date, and what part of it arrived (to go back)."""
    event = await event_of(db_session, order.event_id)
    received = await _bank_received(db_session, order)
    await enqueue(
        db_session,
        dedupe_key=f"hold-expired:{order.id}",
        to=order.buyer_email,
        template="hold_expired",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "order_id": order.id,
            "expires_at": order.hold_expires_at or order.updated_at,
            "order_link": order_link(order),
            "bank_reference": order.payment_reference or "",
            "bank_received": int(received),
            "currency": order.currency,
        },
    )


async def _orders_still_expired(db_session: AsyncSession, contexts: Sequence[Mapping[str, Any]]) -> list[bool]:
    """ "Your order has expired" stops being true if a late payment was honoured meanwhile."""
    ids = {UUID(str(context["order_id"])) for context in contexts}
    statuses = dict((await db_session.execute(select(Order.id, Order.status).where(Order.id.in_(ids)))).tuples().all())
    return [statuses.get(UUID(str(context["order_id"]))) == OrderStatus.EXPIRED for context in contexts]


# Which of these mails can stop being true before they are sent; installed by the composition root (``podium.main``)
# into the outbox's ``STILL_TRUE``, never by importing this module.
STILL_TRUE_CHECKS: Mapping[str, StillTrue] = {
    "order_held": _orders_still_held,
    "hold_reminder": _orders_still_held,
    "hold_expired": _orders_still_expired,
}


async def enqueue_confirmation_mail(
    db_session: AsyncSession, order: Order, facts: OrderFacts, *, has_receipt: bool, late: bool = False
) -> None:
    """Called in the transaction that confirms ``order`` (after its receipt, if any, was recorded): one mail to
    the buyer (with the receipt) and one per other attendee, from what the confirmation read (``facts``, with
    the registrations' new statuses), written with the confirmation's flush. An attendee with the buyer's own
    email gets no mail of their own: what it would say (their page's link, their badge attached, or that
    verification is pending) is in the buyer's, so the person who registered themselves gets one mail, not two.
    ``late``: paid after its hold had ended."""
    attendees = _Attendees(order, facts)
    context = {
        "event": event_context(facts.event),
        "name": order.buyer_name,
        "locale": order.locale,
        "time_zone": order.time_zone,
        "attendees": attendees.contexts,
        "total": order.total,
        "currency": order.currency,
        "has_receipt": has_receipt,
        "late": late,
        "order_link": order_link(order),
        "you": attendees.you,
    }
    if has_receipt:  # recorded pending in this transaction; the sender attaches it numbered
        dedupe_key, attachments = f"receipt:{order.id}", [f"receipt:{order.id}", *attendees.buyer_badges]
    else:  # nothing to pay: no receipt, but the buyer still gets the order and its link
        dedupe_key, attachments = f"order-confirmed:{order.id}", attendees.buyer_badges
    buyer = Mail(
        dedupe_key=dedupe_key,
        to=order.buyer_email,
        template="order_confirmed",
        context=context,
        attachments=attachments,
    )
    # An order is confirmed once, under its lock: no other message has these keys (``add_all_once``).
    add_all_once(db_session, [*attendees.mails, buyer])


class _Attendees:
    """The confirmed order's attendees as its mails name them: every one in the buyer's mail, and a mail of
    their own for each but the buyer (whose link and badge go into the buyer's mail, ``you``)."""

    def __init__(self, order: Order, facts: OrderFacts) -> None:
        categories, add_ons = facts.categories, facts.add_ons
        buyer_email = normalise_email(order.buyer_email)
        self.contexts: list[dict[str, Any]] = []
        self.mails: list[Mail] = []
        self.you: dict[str, Any] | None = None
        self.buyer_badges: list[str] = []
        for registration in facts.registrations:
            if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.AWAITING_VERIFICATION):
                continue
            attendee = attendee_context(registration, categories, add_ons, order.locale)
            self.contexts.append(attendee)
            # The badge comes once the registration counts (after verification, for those who need it).
            badge = [] if attendee["waiting"] else [f"badge:{registration.id}"]
            if self.you is None and registration.email == buyer_email:
                self.you = {"waiting": attendee["waiting"], "registration_link": registration_link(registration)}
                self.buyer_badges += badge
                continue
            own = attendee_context(registration, categories, add_ons, registration.locale)
            self.mails.append(_registered(facts, order, registration, own, badge))


def _registered(
    facts: OrderFacts, order: Order, registration: Registration, attendee: dict[str, Any], badge: list[str]
) -> Mail:
    return Mail(
        dedupe_key=f"confirmation:{registration.id}",
        to=registration.email,
        template="registered",
        context={
            "event": event_context(facts.event),
            "name": registration.first_name,
            "locale": registration.locale,
            "time_zone": registration.time_zone,
            "category": attendee["category"],
            "add_ons": attendee["add_ons"],
            "waiting": attendee["waiting"],
            "buyer_name": order.buyer_name,
            "registration_link": registration_link(registration),
        },
        attachments=badge,
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
            template="hold_released",
            context={
                "event": event_context(event),
                "email": email,
                "locale": released.locale,
                "time_zone": released.time_zone,
                "released_by": released.buyer_name,
                "released_created_at": released.created_at,
            },
        )
    if released.buyer_email not in emails and released.buyer_email != new_buyer_email:
        await enqueue(
            db_session,
            dedupe_key=f"hold-released-buyer:{released.id}",
            to=released.buyer_email,
            template="hold_released_buyer",
            context={
                "event": event_context(event),
                "name": released.buyer_name,
                "locale": released.locale,
                "time_zone": released.time_zone,
                "emails": emails,
                "order_link": order_link(released),
            },
        )


async def enqueue_payment_refund_mail(
    db_session: AsyncSession,
    order: Order,
    *,
    payment_id: str,
    amount: int,
    currency: str,
    cause: RefundCause,
    refunded_to: str | None = None,
) -> None:
    """Called in the transaction that claims the refund of a payment ``order`` can't keep; once per payment.
    A late payment whose seats were gone is one of these (``seats_gone``): how much goes back, and why.
    ``refunded_to``: money an organizer sent back by bank transfer, to this account holder (``payment_id`` is then
    the bank's transaction id, once per statement line); None for a card payment, refunded to the card."""
    event = await event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"payment-refund:{order.id}:{payment_id}",
        to=order.buyer_email,
        template="payment_refund",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "cause": cause,
            "amount": amount,
            "currency": currency,
            "order_total": order.total,
            "order_status": order.status,
            "payment_id": payment_id,
            "refunded_to": refunded_to,
            "order_link": order_link(order),
        },
    )
