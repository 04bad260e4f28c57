"""What we tell people, one mail per change that affects them: a transfer (to both people), a verification
decision, a cancellation or refund, a refund that failed, a reprinted badge, a new secret link, a waitlist
offer; an order's own mails (held, paid with the receipt, its hold ending, a payment that goes back) are in
``registration.mail.order_mail``, and what every mail says about the event and its links in ``mail_context``.

Each function writes one outbox row per recipient inside the transaction that makes the change, so the mail
exists exactly when the change does; its dedupe key names the change and the recipient, so a replayed
webhook or a racing request mails nobody twice. The text lives in ``podium/templates/mail`` (rendered when
sent); here we only gather the facts (the context, JSON) and the secret-link placeholders the outbox fills.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.auth.services import normalise_email
from podium.i18n import gettext, using_locale
from podium.jobs.outbox_drain import StillTrue
from podium.outbox import enqueue
from podium.translated import localized
from registration.mail.context import (
    attendee_context,
    event_of,
    item_name,
    names_of,
    order_link,
    registration_link,
)
from registration.mail.context import event_context as event_context  # read by other packages' mails

# An order's own mails live in ``order_mail``; their names are importable from here as before.
from registration.mail.order_mail import HELD_MAIL_DELAY as HELD_MAIL_DELAY
from registration.mail.order_mail import RefundCause as RefundCause
from registration.mail.order_mail import enqueue_confirmation_mail as enqueue_confirmation_mail
from registration.mail.order_mail import enqueue_hold_expired as enqueue_hold_expired
from registration.mail.order_mail import enqueue_hold_released_mail as enqueue_hold_released_mail
from registration.mail.order_mail import enqueue_hold_reminder as enqueue_hold_reminder
from registration.mail.order_mail import enqueue_payment_refund_mail as enqueue_payment_refund_mail
from registration.mail.order_mail import held_mail_due as held_mail_due
from registration.models import AddOn, Category, Order, Registration, WaitlistEntry, WaitlistStatus

RejectionOutcome = Literal["cancel_and_refund", "move_category"]


# ------------------------------------------------------------------------------------------ secret links


async def enqueue_order_link_mail(db_session: AsyncSession, order: Order, *, by_organizer: bool) -> None:
    """The buyer's new order link after it was regenerated (``order.secret_version`` is the new version)."""
    event = await event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"order-link:{order.id}:{order.secret_version}",
        to=order.buyer_email,
        template="order_link",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "by_organizer": by_organizer,
            "order_link": order_link(order, versioned=True),
        },
    )


async def enqueue_registration_link_mail(
    db_session: AsyncSession, registration: Registration, *, by_organizer: bool
) -> None:
    """The attendee's new page link after it was regenerated (``registration.secret_version`` is the new one).
    The calendar feed's address is made from the link's version, so it changed too: the mail says so."""
    event = await event_of(db_session, registration.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"registration-link:{registration.id}:{registration.secret_version}",
        to=registration.email,
        template="registration_link",
        context={
            "event": event_context(event),
            "name": registration.first_name,
            "locale": registration.locale,
            "time_zone": registration.time_zone,
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
    event = await event_of(db_session, registration.event_id)
    categories, add_ons = await names_of(db_session, event.id)
    attendee = attendee_context(registration, categories, add_ons, registration.locale)
    await enqueue(
        db_session,
        dedupe_key=f"transfer:{registration.id}:{registration.secret_version}",
        to=registration.email,
        template="transfer_received",
        context={
            "event": event_context(event),
            "name": registration.first_name,
            "locale": registration.locale,
            "time_zone": registration.time_zone,
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
                "locale": registration.locale,
                "time_zone": registration.time_zone,
                "from_name": order.buyer_name,
                "new_holder": f"{registration.first_name} {registration.last_name}",
            },
        )


async def enqueue_verification_mail(
    db_session: AsyncSession,
    registration: Registration,
    *,
    approved: bool,
    category_id: UUID,
    note: str = "",
    outcome: RejectionOutcome = "cancel_and_refund",
    moved_to_id: UUID | None = None,
    refund: int = 0,
) -> None:
    """The organizers' decision on an eligibility check, once per registration: approved (link, badge), or
    rejected with what happens to the money (cancelled and refunded, or moved and the difference refunded).
    ``category_id`` is the category that was checked, ``moved_to_id`` the one a rejection moved it to; each
    mail names them in its reader's language (the attendee's, and the buyer's for the buyer's copy)."""
    event = await event_of(db_session, registration.event_id)
    order = await db_session.get(Order, registration.order_id)
    assert order is not None  # the foreign key
    categories, _ = await names_of(db_session, event.id)

    def categories_in(locale: str) -> dict[str, str]:
        moved_to = item_name(categories, moved_to_id, "", locale) if moved_to_id is not None else ""
        return {"category": item_name(categories, category_id, "Registration", locale), "moved_to": moved_to}

    context: dict[str, Any] = {
        "event": event_context(event),
        "name": registration.first_name,
        "locale": registration.locale,
        "time_zone": registration.time_zone,
        "registration_link": registration_link(registration),
        **categories_in(registration.locale),
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
            context=context
            | {"name": order.buyer_name, "locale": order.locale, "time_zone": order.time_zone}
            | categories_in(order.locale),
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
    event = await event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"cancelled:{order.id}:{change}",
        to=order.buyer_email,
        template="order_cancelled",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
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
                "locale": registration.locale,
                "time_zone": registration.time_zone,
                "buyer_name": order.buyer_name,
                "by_organizer": by_organizer,
            },
        )


async def enqueue_unpaid_cancelled_mail(db_session: AsyncSession, order: Order, *, by_organizer: bool) -> None:
    """An unpaid order cancelled as a whole (its places went back; nothing was charged): once per order."""
    event = await event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"unpaid-cancelled:{order.id}",
        to=order.buyer_email,
        template="unpaid_cancelled",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "by_organizer": by_organizer,
            "order_link": order_link(order),
        },
    )


async def enqueue_organizer_refund_mail(
    db_session: AsyncSession, order: Order, *, refund_id: UUID, amount: int, reason: str, refunded_total: int
) -> None:
    """An organizer refunded part or all of an order: once per refund."""
    event = await event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"organizer-refund:{refund_id}",
        to=order.buyer_email,
        template="organizer_refund",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
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
    event = await event_of(db_session, order.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"refund-failed:{refund_id}",
        to=order.buyer_email,
        template="refund_failed",
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "amount": amount,
            "currency": order.currency,
            "order_link": order_link(order),
        },
    )


async def enqueue_badge_reprinted_mail(db_session: AsyncSession, registration: Registration, *, version: int) -> None:
    """A badge was reprinted (the old one stops working): the new one, once per version."""
    event = await event_of(db_session, registration.event_id)
    await enqueue(
        db_session,
        dedupe_key=f"badge-reprinted:{registration.id}:{version}",
        to=registration.email,
        template="badge_reprinted",
        context={
            "event": event_context(event),
            "name": registration.first_name,
            "locale": registration.locale,
            "time_zone": registration.time_zone,
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
        "locale": entry.locale,
        "time_zone": entry.time_zone,
    }


async def _item_name(db_session: AsyncSession, entry: WaitlistEntry) -> str:
    """What the person queued for, named in their language where the organizer gave one."""
    if entry.category_id is not None:
        query = select(Category.name, Category.translations).where(Category.id == entry.category_id)
    else:
        query = select(AddOn.name, AddOn.translations).where(AddOn.id == entry.add_on_id)
    found = (await db_session.execute(query)).first()
    if found is not None and found.name:
        return localized(found.name, found.translations, "name", entry.locale)
    with using_locale(entry.locale):
        return gettext("a seat")


async def enqueue_waitlist_offer_mail(db_session: AsyncSession, entry: WaitlistEntry) -> None:
    """A seat is held for the person at the head of the queue, until ``offer_expires_at``; once per offer."""
    assert entry.offer_expires_at is not None
    event = await event_of(db_session, entry.event_id)
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


# A waitlist offer (and its reminder) is true while that very offer is still open; installed into the outbox's
# ``STILL_TRUE`` by the composition root (``podium.main``) with ``order_mail``'s, never by importing this module.
STILL_TRUE_CHECKS: Mapping[str, StillTrue] = {
    "waitlist_offer": _offers_still_open,
    "offer_reminder": _offers_still_open,
}
