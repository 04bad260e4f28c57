"""What we tell people, one mail per change that affects them: an order held, paid (with the receipt), its
hold ending or about to end, a payment that goes back, a transfer (to both people), a verification decision,
a cancellation or refund, a refund that failed, a reprinted badge, a new secret link.

Each function writes one outbox row per recipient inside the transaction that makes the change, so the mail
exists exactly when the change does; its dedupe key names the change and the recipient, so a replayed
webhook or a racing request mails nobody twice. The text lives in ``podium/templates/mail`` (rendered when
sent); here we only gather the facts (the context, JSON) and the secret-link placeholders the outbox fills.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import brand_of, logo_path
from events.models import Event
from podium.auth.services import normalise_email
from podium.db import utcnow
from podium.outbox import Mail, enqueue, enqueue_all, outbox_row
from podium.outbox_drain import STILL_TRUE
from podium.outbox_models import OutboxMessage
from registration import mail_templates as _mail_templates  # noqa: F401 - registers the templates with samples
from registration.models import (
    AddOn,
    Category,
    Order,
    OrderStatus,
    Registration,
    RegistrationStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from registration.order_facts import OrderFacts

# How long a placed order's "pay by" mail waits for the payment that would supersede it (``order_held_message``).
HELD_MAIL_DELAY = dt.timedelta(seconds=30)

RefundCause = Literal["duplicate", "seats_gone", "order_closed", "wrong_amount"]
RejectionOutcome = Literal["cancel_and_refund", "move_category"]


def event_context(event: Event) -> dict[str, Any]:
    """What every template may say about the event; ``id`` finds the event's wording when sent."""
    return {
        "id": str(event.id),
        "slug": event.slug,
        "name": event.name,
        "timezone": event.timezone,
        "start_date": event.start_date.isoformat(),
        "end_date": event.end_date.isoformat(),
        "venue": event.venue,
        "city": event.city,
        "currency": event.currency,
        # The brand as it was when the mail was written; older rows lack these keys (templates use .get).
        "brand_colour": event.brand_colour,
        "brand_ink": brand_of(event).ink,
        "logo_path": logo_path(event),
    }


def order_link(order: Order, *, versioned: bool = False) -> str:
    """The placeholder of the buyer's order link; versioned, it stays this version's link (dead once the
    link is regenerated) instead of whatever link is current when the mail goes out."""
    return f"{{order_link:{order.id}:{order.secret_version}}}" if versioned else f"{{order_link:{order.id}}}"


def registration_link(registration: Registration) -> str:
    """The placeholder of this holder's link: bound to today's version, so if the registration is transferred
    before the mail goes out, the mail carries this holder's (then dead) link, never the new holder's."""
    return f"{{registration_link:{registration.id}:{registration.secret_version}}}"


async def _event_of(db_session: AsyncSession, event_id: object) -> Event:
    event = await db_session.get(Event, event_id)
    if event is None:  # the foreign key makes this impossible short of a broken database
        raise LookupError(f"no event {event_id}")
    return event


async def _names(db_session: AsyncSession, event_id: UUID) -> tuple[dict[UUID, str], dict[UUID, str]]:
    categories = await db_session.execute(select(Category.id, Category.name).where(Category.event_id == event_id))
    add_ons = await db_session.execute(select(AddOn.id, AddOn.name).where(AddOn.event_id == event_id))
    return {i: n for i, n in categories.tuples()}, {i: n for i, n in add_ons.tuples()}


def _attendee(
    registration: Registration, categories: Mapping[UUID, str], add_ons: Mapping[UUID, str]
) -> dict[str, Any]:
    return {
        "name": f"{registration.first_name} {registration.last_name}",
        "category": categories.get(registration.category_id, "Registration"),
        "add_ons": [add_ons.get(a.add_on_id, "Add-on") for a in registration.add_ons],
        "waiting": registration.status == RegistrationStatus.AWAITING_VERIFICATION,
    }


# ------------------------------------------------------------------------------------------------ orders


def order_held_message(
    event: Event,
    order: Order,
    registrations: Sequence[Registration],
    categories: Mapping[UUID, str],
    add_ons: Mapping[UUID, str],
) -> OutboxMessage:
    """The buyer's "your places are held, pay by …" mail as a row, for the order's own INSERT (a new order is
    written in one statement on PostgreSQL, ``order_write``).

    It is due HELD_MAIL_DELAY after the order (at most a quarter of the hold): most buyers pay on the page they
    just placed the order on, and their "pay by" mail is superseded by the payment before it goes out, instead
    of arriving seconds before the receipt (a mail the person never needed, and one mail's sending cost per
    order in a rush); a buyer who leaves to pay later has it within the minute."""
    assert order.hold_expires_at is not None
    now = utcnow()
    due_at = now + min(HELD_MAIL_DELAY, max(order.hold_expires_at - now, dt.timedelta()) / 4)
    return outbox_row(
        due_at=due_at,
        dedupe_key=f"order-held:{order.id}",
        to=order.buyer_email,
        template="order_held",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "order_id": order.id,
            "expires_at": order.hold_expires_at,
            "total": order.total,
            "currency": order.currency,
            "attendees": [_attendee(r, categories, add_ons) for r in registrations],
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


STILL_TRUE["order_held"] = _orders_still_held
STILL_TRUE["hold_reminder"] = _orders_still_held


async def enqueue_hold_reminder(db_session: AsyncSession, order: Order, event: Event) -> None:
    """Once per hold, some time before it ends (``reminders``); superseded if the order is paid first."""
    assert order.hold_expires_at is not None
    await enqueue(
        db_session,
        dedupe_key=f"hold-reminder:{order.id}:{order.hold_expires_at:%Y%m%d%H%M%S}",
        to=order.buyer_email,
        template="hold_reminder",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "order_id": order.id,
            "expires_at": order.hold_expires_at,
            "total": order.total,
            "currency": order.currency,
            "order_link": order_link(order),
        },
    )


async def enqueue_hold_expired(db_session: AsyncSession, order: Order) -> None:
    """The hold ran out unpaid (the sweep, or a later order finding it stale): once per order."""
    event = await _event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"hold-expired:{order.id}",
        to=order.buyer_email,
        template="hold_expired",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "order_id": order.id,
            "expires_at": order.hold_expires_at or order.updated_at,
            "order_link": order_link(order),
        },
    )


async def _orders_still_expired(db_session: AsyncSession, contexts: Sequence[Mapping[str, Any]]) -> list[bool]:
    """ "Your order has expired" stops being true if a late payment was honoured meanwhile."""
    ids = {UUID(str(context["order_id"])) for context in contexts}
    statuses = dict((await db_session.execute(select(Order.id, Order.status).where(Order.id.in_(ids)))).tuples().all())
    return [statuses.get(UUID(str(context["order_id"]))) == OrderStatus.EXPIRED for context in contexts]


STILL_TRUE["hold_expired"] = _orders_still_expired


async def enqueue_confirmation_mail(
    db_session: AsyncSession, order: Order, facts: OrderFacts, *, has_receipt: bool, late: bool = False
) -> None:
    """Called in the transaction that confirms ``order`` (after its receipt, if any, was recorded): one mail to
    the buyer (with the receipt) and one per other attendee, from what the confirmation read (``facts``, with
    the registrations' new statuses), written in one statement. An attendee with the buyer's own email gets no
    mail of their own: what it would say (their page's link, their badge attached, or that verification is
    pending) is in the buyer's, so the person who registered themselves gets one mail, not two. ``late``: paid
    after its hold had ended."""
    event = facts.event
    categories = {i: c.name for i, c in facts.categories.items()}
    add_ons = {i: a.name for i, a in facts.add_ons.items()}
    buyer_email = normalise_email(order.buyer_email)
    mails: list[Mail] = []
    attendees = []
    you: dict[str, Any] | None = None
    attachments: list[str] = []
    for registration in facts.registrations:
        if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.AWAITING_VERIFICATION):
            continue
        attendee = _attendee(registration, categories, add_ons)
        attendees.append(attendee)
        # The badge comes once the registration counts (after verification, for those who need it).
        badge = [] if attendee["waiting"] else [f"badge:{registration.id}"]
        if you is None and registration.email == buyer_email:
            you = {"waiting": attendee["waiting"], "registration_link": registration_link(registration)}
            attachments += badge
            continue
        mails.append(
            Mail(
                dedupe_key=f"confirmation:{registration.id}",
                to=registration.email,
                template="registered",
                context={
                    "event": event_context(event),
                    "name": registration.first_name,
                    "category": attendee["category"],
                    "add_ons": attendee["add_ons"],
                    "waiting": attendee["waiting"],
                    "buyer_name": order.buyer_name,
                    "registration_link": registration_link(registration),
                },
                attachments=badge,
            )
        )
    context = {
        "event": event_context(event),
        "name": order.buyer_name,
        "attendees": attendees,
        "total": order.total,
        "currency": order.currency,
        "has_receipt": has_receipt,
        "late": late,
        "order_link": order_link(order),
        "you": you,
    }
    if has_receipt:  # recorded pending in this transaction; the sender attaches it numbered
        mails.append(
            Mail(
                dedupe_key=f"receipt:{order.id}",
                to=order.buyer_email,
                template="order_confirmed",
                context=context,
                attachments=[f"receipt:{order.id}", *attachments],
            )
        )
    else:  # nothing to pay: no receipt, but the buyer still gets the order and its link
        mails.append(
            Mail(
                dedupe_key=f"order-confirmed:{order.id}",
                to=order.buyer_email,
                template="order_confirmed",
                context=context,
                attachments=attachments,
            )
        )
    await enqueue_all(db_session, mails)


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
                "emails": emails,
                "order_link": order_link(released),
            },
        )


async def enqueue_payment_refund_mail(
    db_session: AsyncSession, order: Order, *, payment_id: str, amount: int, currency: str, cause: RefundCause
) -> None:
    """Called in the transaction that claims the refund of a payment ``order`` can't keep; once per payment.
    A late payment whose seats were gone is one of these (``seats_gone``): how much goes back, and why."""
    event = await _event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"payment-refund:{order.id}:{payment_id}",
        to=order.buyer_email,
        template="payment_refund",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "cause": cause,
            "amount": amount,
            "currency": currency,
            "order_total": order.total,
            "order_status": order.status,
            "payment_id": payment_id,
            "order_link": order_link(order),
        },
    )


# ------------------------------------------------------------------------------------------ secret links


async def enqueue_order_link_mail(db_session: AsyncSession, order: Order, *, by_organizer: bool) -> None:
    """The buyer's new order link after it was regenerated (``order.secret_version`` is the new version)."""
    event = await _event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"order-link:{order.id}:{order.secret_version}",
        to=order.buyer_email,
        template="order_link",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "by_organizer": by_organizer,
            "order_link": order_link(order, versioned=True),
        },
    )


async def enqueue_registration_link_mail(
    db_session: AsyncSession, registration: Registration, *, by_organizer: bool
) -> None:
    """The attendee's new page link after it was regenerated (``registration.secret_version`` is the new one).
    The calendar feed's address is made from the link's version, so it changed too: the mail says so."""
    event = await _event_of(db_session, registration.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"registration-link:{registration.id}:{registration.secret_version}",
        to=registration.email,
        template="registration_link",
        context={
            "event": event_context(event),
            "name": registration.first_name,
            "by_organizer": by_organizer,
            "registration_link": registration_link(registration),
        },
    )


# ------------------------------------------------------------------------------------- registrations


async def enqueue_transfer_mails(
    db_session: AsyncSession, order: Order, registration: Registration, previous_email: str, previous_name: str
) -> None:
    """After a transfer: the new holder gets what a new registrant gets (their link, and their badge if the
    registration counts); the previous holder learns that their link and badge stopped working."""
    event = await _event_of(db_session, registration.event_id)
    categories, add_ons = await _names(db_session, event.id)
    attendee = _attendee(registration, categories, add_ons)
    await enqueue(
        db_session,
        dedupe_key=f"transfer:{registration.id}:{registration.secret_version}",
        to=registration.email,
        template="transfer_received",
        context={
            "event": event_context(event),
            "name": registration.first_name,
            "from_name": order.buyer_name,
            "category": attendee["category"],
            "add_ons": attendee["add_ons"],
            "waiting": attendee["waiting"],
            "registration_link": registration_link(registration),
        },
        attachments=[] if attendee["waiting"] else [f"badge:{registration.id}"],
    )
    if normalise_email(previous_email) != registration.email:
        await enqueue(
            db_session,
            dedupe_key=f"transferred-away:{registration.id}:{registration.secret_version}",
            to=previous_email,
            template="transfer_away",
            context={
                "event": event_context(event),
                "name": previous_name,
                "from_name": order.buyer_name,
                "new_holder": f"{registration.first_name} {registration.last_name}",
            },
        )


async def enqueue_verification_mail(
    db_session: AsyncSession,
    registration: Registration,
    *,
    approved: bool,
    category: str,
    note: str = "",
    outcome: RejectionOutcome = "cancel_and_refund",
    moved_to: str = "",
    refund: int = 0,
) -> None:
    """The organizers' decision on an eligibility check, once per registration: approved (link, badge), or
    rejected with what happens to the money (cancelled and refunded, or moved and the difference refunded)."""
    event = await _event_of(db_session, registration.event_id)
    order = await db_session.get(Order, registration.order_id)
    assert order is not None  # the foreign key
    context: dict[str, Any] = {
        "event": event_context(event),
        "name": registration.first_name,
        "category": category,
        "registration_link": registration_link(registration),
    }
    if approved:
        await enqueue(
            db_session,
            dedupe_key=f"verification:{registration.id}",
            to=registration.email,
            template="verification_approved",
            context=context,
            attachments=[f"badge:{registration.id}"],
        )
        return
    context |= {
        "note": note,
        "outcome": outcome,
        "moved_to": moved_to,
        "refund": refund,
        "currency": order.currency,
        "buyer_name": order.buyer_name,
    }
    await enqueue(
        db_session,
        dedupe_key=f"verification:{registration.id}",
        to=registration.email,
        template="verification_rejected",
        context=context,
        attachments=[f"badge:{registration.id}"] if outcome == "move_category" else [],
    )
    if refund and normalise_email(order.buyer_email) != registration.email:
        # The money goes back to whoever paid: they are told too (a lab head paying for a trainee).
        await enqueue(
            db_session,
            dedupe_key=f"verification-refund:{registration.id}",
            to=order.buyer_email,
            template="verification_rejected",
            context=context | {"name": order.buyer_name},
        )


async def enqueue_cancellation_mails(
    db_session: AsyncSession,
    order: Order,
    registrations: Sequence[Registration],
    *,
    fee_pct: int,
    fee: int,
    due: int,
    refund: int,
    by_organizer: bool,
    change: str,
) -> None:
    """A cancellation of paid registrations: the buyer learns the fee and the refund; each attendee with an
    email of their own, that their registration ended. ``change`` names this cancellation (its refund or its
    first registration), so a repeated request mails nobody twice."""
    event = await _event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"cancelled:{order.id}:{change}",
        to=order.buyer_email,
        template="order_cancelled",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "cancelled": [f"{r.first_name} {r.last_name}" for r in registrations],
            "fee_pct": fee_pct,
            "fee": fee,
            "due": due,
            "refund": refund,
            "currency": order.currency,
            "by_organizer": by_organizer,
            "order_link": order_link(order),
        },
    )
    for registration in registrations:
        if registration.email == normalise_email(order.buyer_email):
            continue
        await enqueue(
            db_session,
            dedupe_key=f"registration-cancelled:{registration.id}",
            to=registration.email,
            template="registration_cancelled",
            context={
                "event": event_context(event),
                "name": registration.first_name,
                "buyer_name": order.buyer_name,
                "by_organizer": by_organizer,
            },
        )


async def enqueue_unpaid_cancelled_mail(db_session: AsyncSession, order: Order, *, by_organizer: bool) -> None:
    """An unpaid order cancelled as a whole (its places went back; nothing was charged): once per order."""
    event = await _event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"unpaid-cancelled:{order.id}",
        to=order.buyer_email,
        template="unpaid_cancelled",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "by_organizer": by_organizer,
            "order_link": order_link(order),
        },
    )


async def enqueue_organizer_refund_mail(
    db_session: AsyncSession, order: Order, *, refund_id: UUID, amount: int, reason: str, refunded_total: int
) -> None:
    """An organizer refunded part or all of an order: once per refund."""
    event = await _event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"organizer-refund:{refund_id}",
        to=order.buyer_email,
        template="organizer_refund",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "amount": amount,
            "reason": reason,
            "refunded_total": refunded_total,
            "total": order.total,
            "currency": order.currency,
            "order_link": order_link(order),
        },
    )


async def enqueue_refund_failed_mail(db_session: AsyncSession, order: Order, *, refund_id: UUID, amount: int) -> None:
    """The provider refused a refund for good: the buyer hears it from us, once per refund."""
    event = await _event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"refund-failed:{refund_id}",
        to=order.buyer_email,
        template="refund_failed",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "amount": amount,
            "currency": order.currency,
            "order_link": order_link(order),
        },
    )


async def enqueue_badge_reprinted_mail(db_session: AsyncSession, registration: Registration, *, version: int) -> None:
    """A badge was reprinted (the old one stops working): the new one, once per version."""
    event = await _event_of(db_session, registration.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"badge-reprinted:{registration.id}:{version}",
        to=registration.email,
        template="badge_reprinted",
        context={
            "event": event_context(event),
            "name": registration.first_name,
            "registration_link": registration_link(registration),
        },
        attachments=[f"badge:{registration.id}"],
    )


# ------------------------------------------------------------------------------------------- waitlists


def _entry_context(event: Event, entry: WaitlistEntry, item: str) -> dict[str, Any]:
    return {
        "event": event_context(event),
        "name": entry.name,
        "entry_id": entry.id,
        "offer_version": entry.offer_version,
        "item": item,
        "expires_at": entry.offer_expires_at,
        # The claim link carries a secret made from the app's key: the outbox fills it in when it sends.
        "claim_link": f"{{waitlist_link:{entry.id}}}",
    }


async def _item_name(db_session: AsyncSession, entry: WaitlistEntry) -> str:
    if entry.category_id is not None:
        return await db_session.scalar(select(Category.name).where(Category.id == entry.category_id)) or "a seat"
    return await db_session.scalar(select(AddOn.name).where(AddOn.id == entry.add_on_id)) or "a seat"


async def enqueue_waitlist_offer_mail(db_session: AsyncSession, entry: WaitlistEntry) -> None:
    """A seat is held for the person at the head of the queue, until ``offer_expires_at``; once per offer."""
    assert entry.offer_expires_at is not None
    event = await _event_of(db_session, entry.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"waitlist-offer:{entry.id}:{entry.offer_expires_at:%Y%m%d%H%M%S}",
        to=entry.email,
        template="waitlist_offer",
        context=_entry_context(event, entry, await _item_name(db_session, entry)),
    )


async def enqueue_offer_reminder(db_session: AsyncSession, entry: WaitlistEntry, event: Event) -> None:
    """Once per offer, some time before it lapses (``reminders``); superseded if claimed first."""
    assert entry.offer_expires_at is not None
    await enqueue(
        db_session,
        dedupe_key=f"offer-reminder:{entry.id}:{entry.offer_version}",
        to=entry.email,
        template="offer_reminder",
        context=_entry_context(event, entry, await _item_name(db_session, entry)),
    )


async def _offers_still_open(db_session: AsyncSession, contexts: Sequence[Mapping[str, Any]]) -> list[bool]:
    ids = {UUID(str(context["entry_id"])) for context in contexts}
    rows = await db_session.execute(
        select(WaitlistEntry.id, WaitlistEntry.status, WaitlistEntry.offer_version).where(WaitlistEntry.id.in_(ids))
    )
    open_versions = {row.id: row.offer_version for row in rows if row.status == WaitlistStatus.OFFERED}
    return [open_versions.get(UUID(str(c["entry_id"])), -1) == c["offer_version"] for c in contexts]


STILL_TRUE["waitlist_offer"] = _offers_still_open
STILL_TRUE["offer_reminder"] = _offers_still_open
