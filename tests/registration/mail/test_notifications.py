"""One mail per change that affects a person, delivered to a real local SMTP server (aiosmtpd): the right
recipient, links and amounts, in the event's time zone; replayed verdicts and racing requests still mail once;
a mail whose news stopped being true before it went out is superseded, not sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any
from uuid import UUID

import msgspec
import pytest
import stripe
from sqlalchemy import func, select

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.held import enqueue_held_mails
from registration.mail.reminders import enqueue_reminders
from registration.mail.services import HELD_MAIL_DELAY
from registration.models import Category, Order, PriceWindow, Quota, QuotaItem, Registration
from registration.orders.holds import expire_holds
from registration.orders.payment_outcomes import payment_succeeded
from registration.payments.services import OfflineTestProvider
from registration.refunds.jobs import send_refund
from registration.schemas import OrderCreate
from registration.waitlist.services import process_waitlists
from tests.asgi_client import Client
from tests.registration.factories import (
    CatalogFixture,
    attendee,
    build_catalog,
    db_session_for,
    order_body,
    place_committed,
)
from tests.registration.mailbox import Inbox, deliver, html, local, text, to, unique

Smtp = tuple[Inbox, int]
LINK = re.compile(r"https?://\S+/(orders|registrations)/([0-9a-f-]{36})\?secret=\S+")


async def catalog_for(settings: Settings, **options: Any) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session, **options)


async def place(client: Client, slug: str, buyer: str, *people: dict[str, object]) -> dict[str, Any]:
    response = await client.post(f"/api/events/{slug}/orders", json=order_body(*people, buyer_email=buyer))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def pay(client: Client, order: dict[str, Any]) -> None:
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code in {200, 201}, paid.text


async def statuses(settings: Settings, key_prefix: str) -> list[str]:
    async with db_session_for(settings) as db_session:
        rows = await db_session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.dedupe_key.like(f"{key_prefix}%"))
        )
        return list(rows.all())


# --------------------------------------------------------------------------------------------- orders


async def test_order_held_mails_the_buyer_the_pay_link_and_the_expiry_in_event_time(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings, hold_minutes=30)
    buyer = unique("held")
    order = await place(client, catalog.slug, buyer, attendee(unique("ada"), add_ons=["workshop"]))
    await deliver(settings, port)
    not_yet = to(inbox, buyer)

    await deliver(settings, port, now=dt.datetime.now(dt.UTC) + HELD_MAIL_DELAY)

    # Due a little after the order, so a buyer who pays on the spot never gets it.
    assert not_yet == []
    [mail] = to(inbox, buyer)
    expires = dt.datetime.fromisoformat(order["hold_expires_at"]).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    body = text(mail)
    assert mail["Subject"] == f"Test Meeting: your places are held until {expires:%H:%M} (America/New_York)"
    assert f"until {expires:%A} {expires:%B} {expires.day}, {expires.year}, {expires:%H:%M} (America/New_York)" in body
    assert "To pay: USD 520.00" in body
    assert f"/orders/{order['id']}?secret={order['secret']}" in body
    assert f"/orders/{order['id']}?secret={order['secret']}" in html(mail)
    assert "- Ada Lovelace: Member\n  + Grant Writing Workshop" in body


async def write_held_mails(settings: Settings, now: dt.datetime) -> int:
    """One round of the sweep's "pay by" mails, as a worker writes them."""
    async with db_session_for(settings) as db_session:
        written = await enqueue_held_mails(db_session, now=now)
        await db_session.commit()
        return written


@pytest.mark.parametrize("swept_first", [False, True], ids=["paid-first", "swept-first"])
async def test_order_paid_before_or_after_its_held_mail_was_written_gets_its_receipt_only(
    client: Client, settings: Settings, smtp: Smtp, swept_first: bool
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyer = unique("quick")
    order = await place(client, catalog.slug, buyer, attendee(unique("ada")))
    due = dt.datetime.now(dt.UTC) + HELD_MAIL_DELAY
    written = await write_held_mails(settings, due) if swept_first else 0
    await pay(client, order)

    await deliver(settings, port, now=due)

    assert [str(m["Subject"]) for m in to(inbox, buyer)] == ["Test Meeting: your receipt (USD 400.00)"]
    # Paid first: never written. Swept first: written, then superseded by the payment before it went out.
    assert await statuses(settings, f"order-held:{order['id']}") == (["superseded"] if swept_first else [])
    assert written >= (1 if swept_first else 0)


async def test_held_mail_is_written_once_though_swept_by_racing_workers(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyers = [unique(f"racing{n}") for n in range(6)]
    orders = [await place(client, catalog.slug, buyer, attendee(unique("ada"))) for buyer in buyers]
    due = dt.datetime.now(dt.UTC) + HELD_MAIL_DELAY

    written = await asyncio.gather(*(write_held_mails(settings, due) for _ in range(4)))
    again = await write_held_mails(settings, due)
    await deliver(settings, port, now=due)

    assert sum(written) >= len(orders) and again == 0
    for order, buyer in zip(orders, buyers, strict=True):
        assert await statuses(settings, f"order-held:{order['id']}") == ["sent"]
        assert [str(m["Subject"]).split(" until ")[0] for m in to(inbox, buyer)] == [
            "Test Meeting: your places are held"
        ]


async def test_hold_expired_mails_once_though_swept_by_racing_workers(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyer = unique("late")
    order = await place(client, catalog.slug, buyer, attendee(unique("ada")))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)

    async def sweep() -> int:
        async with db_session_for(settings) as db_session:
            ended = await expire_holds(db_session, now=later, event_id=UUID(str(catalog.event_id)))
            await db_session.commit()
            return ended

    ended = await asyncio.gather(*(sweep() for _ in range(4)))
    await deliver(settings, port, now=later)

    subjects = [str(m["Subject"]) for m in to(inbox, buyer)]
    assert sum(ended) == 1
    # Swept before its "pay by" mail was: an order no longer held is never told to pay.
    assert subjects == ["Test Meeting: your unpaid order has expired"]
    assert f"/orders/{order['id']}?secret=" in text(to(inbox, buyer)[0])
    assert await statuses(settings, f"order-held:{order['id']}") == []


async def test_hold_reminder_goes_once_and_is_superseded_by_payment(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings, hold_minutes=30)
    waiting, paying = unique("waiting"), unique("paying")
    unpaid = await place(client, catalog.slug, waiting, attendee(unique("ada")))
    paid = await place(client, catalog.slug, paying, attendee(unique("alan")))
    await deliver(settings, port)  # nothing due yet
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=21)  # 9 of 30 minutes left: under a third

    async def sweep() -> int:
        async with db_session_for(settings) as db_session:
            written = await enqueue_reminders(db_session, offer_hours=24, now=soon)
            await db_session.commit()
            return written

    await enqueue_reminders_at(settings, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))  # too early
    early = await statuses(settings, f"hold-reminder:{unpaid['id']}")
    await asyncio.gather(*(sweep() for _ in range(3)))
    await pay(client, paid)
    await deliver(settings, port)

    reminders = [m for m in to(inbox, waiting) if "hold ends" in str(m["Subject"])]
    assert early == []
    assert len(reminders) == 1
    assert "To pay: USD 400.00" in text(reminders[0])
    assert f"/orders/{unpaid['id']}?secret={unpaid['secret']}" in text(reminders[0])
    assert [m for m in to(inbox, paying) if "hold ends" in str(m["Subject"])] == []
    assert await statuses(settings, f"hold-reminder:{paid['id']}") == ["superseded"]


async def enqueue_reminders_at(settings: Settings, now: dt.datetime) -> int:
    async with db_session_for(settings) as db_session:
        written = await enqueue_reminders(db_session, offer_hours=24, now=now)
        await db_session.commit()
        return written


async def _place_in_session(settings: Settings, slug: str, buyer: str, placed_at: dt.datetime) -> UUID:
    data = msgspec.convert(order_body(attendee(unique("ada"), add_ons=["workshop"]), buyer_email=buyer), OrderCreate)
    async with db_session_for(settings) as db_session:
        order, _ = await place_committed(
            db_session, event_slug=slug, data=data, provider=OfflineTestProvider(), now=placed_at
        )
        return order.id


async def _replayed_verdicts(settings: Settings, order_id: UUID, payment_id: str, copies: int = 4) -> None:
    """The same provider verdict delivered several times at once (a replayed, duplicated webhook)."""

    async def verdict() -> None:
        async with db_session_for(settings) as db_session:
            await payment_succeeded(
                db_session,
                order_id=order_id,
                provider_payment_id=payment_id,
                amount=52_000,
                currency="usd",
                actor="stripe",
            )
            await db_session.commit()

    await asyncio.gather(*(verdict() for _ in range(copies)))


async def test_late_payment_honoured_is_one_confirmation_that_says_so(settings: Settings, smtp: Smtp) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings, workshop_seats=5)
    buyer = unique("honoured")
    order_id = await _place_in_session(settings, catalog.slug, buyer, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    async with db_session_for(settings) as db_session:
        await expire_holds(db_session)
        await db_session.commit()

    await _replayed_verdicts(settings, order_id, "pi_late_ok")
    await deliver(settings, port)

    [confirmed] = to(inbox, buyer)  # "your order has expired" is no longer true when sent: superseded
    assert confirmed["Subject"] == "Test Meeting: your receipt (USD 520.00)"
    assert await statuses(settings, f"hold-expired:{order_id}") == ["superseded"]
    assert "arrived after the hold on your seats had ended, but the seats were still free" in text(confirmed)
    assert [a.get_filename() for a in confirmed.iter_attachments()] == [f"receipt-{catalog.slug.upper()}-000001.pdf"]


async def test_late_payment_refunded_says_how_much_and_why_once(client: Client, settings: Settings, smtp: Smtp) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings, workshop_seats=1)
    buyer = unique("refunded")
    order_id = await _place_in_session(settings, catalog.slug, buyer, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    async with db_session_for(settings) as db_session:
        await expire_holds(db_session)
        await db_session.commit()
    await place(client, catalog.slug, unique("other"), attendee(unique("bob"), add_ons=["workshop"]))

    await _replayed_verdicts(settings, order_id, "pi_late_gone")
    await deliver(settings, port)

    [refund] = [m for m in to(inbox, buyer) if "refunded" in str(m["Subject"])]
    assert refund["Subject"] == "Test Meeting: your payment of USD 520.00 is being refunded"
    assert "the seats had been taken meanwhile" in text(refund)
    assert "Refund: USD 520.00" in text(refund)
    assert "Payment reference: pi_late_gone" in text(refund)


# ------------------------------------------------------------------------------------- verification


async def _student_order(client: Client, settings: Settings, catalog: CatalogFixture, buyer: str, email: str) -> str:
    student = attendee(email, category="student", member_number=None, verification_note="PhD student")
    order = await place(client, catalog.slug, buyer, student)
    await pay(client, order)
    return str(order["registrations"][0]["id"])


async def _decide(client: Client, organizer: dict[str, str], slug: str, registration_id: str, **body: Any) -> Any:
    return await client.post(
        f"/api/events/{slug}/registrations/{registration_id}/verification", json=body, headers=organizer
    )


async def test_verification_approved_mails_the_link_and_badge_once_under_racing_decisions(
    client: Client, settings: Settings, organizer: dict[str, str], smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    student = unique("student")
    registration_id = await _student_order(client, settings, catalog, unique("lab"), student)
    await deliver(settings, port)

    answers = await asyncio.gather(
        *(_decide(client, organizer, catalog.slug, registration_id, decision="approve") for _ in range(4))
    )
    await deliver(settings, port)

    approved = [m for m in to(inbox, student) if "approved" in str(m["Subject"])]
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    assert len(approved) == 1
    assert approved[0]["Subject"] == "Test Meeting: verification approved, you are registered"
    assert re.search(rf"/registrations/{registration_id}\?secret=", text(approved[0]))
    [badge] = list(approved[0].iter_attachments())
    assert badge.get_content().startswith(b"%PDF")


async def test_verification_rejected_cancels_and_refunds_in_full(
    client: Client, settings: Settings, organizer: dict[str, str], smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    student, buyer = unique("rejected"), unique("lab")
    registration_id = await _student_order(client, settings, catalog, buyer, student)

    answer = await _decide(
        client, organizer, catalog.slug, registration_id, decision="reject", note="No enrolment shown"
    )
    await deliver(settings, port)

    async with db_session_for(settings) as db_session:
        registration = await db_session.get_one(Registration, UUID(registration_id))
        order = await db_session.get_one(Order, registration.order_id)
    [mail] = [m for m in to(inbox, student) if "not approved" in str(m["Subject"])]
    [to_buyer] = [m for m in to(inbox, buyer) if "not approved" in str(m["Subject"])]
    assert answer.status_code == 200, answer.text
    assert (registration.status, order.amount_refunded) == ("cancelled", 15_000)
    assert "Their note: No enrolment shown" in text(mail)
    assert "Your registration is cancelled and USD 150.00 is refunded in full to Grace Hopper" in text(mail)
    assert "USD 150.00 is refunded in full" in text(to_buyer)
    assert list(mail.iter_attachments()) == []


async def _cheaper_open_category(settings: Settings, catalog: CatalogFixture) -> None:
    async with db_session_for(settings) as db_session:
        db_session.add(
            Category(
                event_id=catalog.event_id,
                code="exhibits",
                name="Exhibit hall only",
                eligibility="open",
                price_windows=[
                    PriceWindow(label="all", starts_on=dt.date.today() - dt.timedelta(days=60), amount=5_000)
                ],
            )
        )
        await db_session.commit()


async def test_verification_rejected_moves_to_an_eligible_category_and_refunds_the_difference(
    client: Client, settings: Settings, organizer: dict[str, str], smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    await _cheaper_open_category(settings, catalog)
    student = unique("moved")
    registration_id = await _student_order(client, settings, catalog, student, student)

    answer = await _decide(
        client,
        organizer,
        catalog.slug,
        registration_id,
        decision="reject",
        on_reject="move_category",
        move_to="exhibits",
    )
    await deliver(settings, port)

    async with db_session_for(settings) as db_session:
        registration = await db_session.get_one(Registration, UUID(registration_id))
        order = await db_session.get_one(Order, registration.order_id)
    [mail] = [m for m in to(inbox, student) if "moved" in str(m["Subject"])]
    assert answer.status_code == 200, answer.text
    assert (registration.status, registration.category_amount, order.amount_refunded) == ("confirmed", 5_000, 10_000)
    assert mail["Subject"] == "Test Meeting: your registration was moved to Exhibit hall only"
    assert "moved to the Exhibit hall only category" in text(mail)
    assert "The difference, USD 100.00, is refunded" in text(mail)
    assert len(list(mail.iter_attachments())) == 1  # the badge of the new category


async def test_verification_rejection_choice_is_checked(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    catalog = await catalog_for(settings)
    registration_id = await _student_order(client, settings, catalog, unique("lab"), unique("student"))

    def reject(**body: Any) -> Any:
        return _decide(client, organizer, catalog.slug, registration_id, decision="reject", **body)

    missing = await reject(on_reject="move_category")
    unknown = await reject(on_reject="move_category", move_to="nobody")
    dearer = await reject(on_reject="move_category", move_to="non-member")
    proof_needed = await reject(on_reject="move_category", move_to="press")
    stray = await reject(move_to="non-member")
    bad_choice = await reject(on_reject="keep_the_money")

    async with db_session_for(settings) as db_session:
        status = await db_session.scalar(select(Registration.status).where(Registration.id == UUID(registration_id)))
    assert (missing.status_code, missing.json()["field"]) == (422, "move_to")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "move_to")
    assert (dearer.status_code, dearer.json()["code"], dearer.json()["field"]) == (409, "costs_more", "move_to")
    assert (proof_needed.status_code, proof_needed.json()["code"]) == (409, "not_eligible")
    assert (stray.status_code, stray.json()["field"]) == (422, "move_to")
    assert bad_choice.status_code in {400, 422}
    assert status == "awaiting_verification"  # nothing was half-done


async def test_verification_move_to_a_full_category_takes_no_seat(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    catalog = await catalog_for(settings)
    await _cheaper_open_category(settings, catalog)
    registration_id = await _student_order(client, settings, catalog, unique("lab"), unique("student"))
    # Seats are taken in quota-id order: the one with room first, then the full one refuses the move.
    roomy, full = UUID(int=1), UUID(int=2**128 - 1)
    async with db_session_for(settings) as db_session:
        exhibits = await db_session.scalar(
            select(Category.id).where(Category.event_id == catalog.event_id, Category.code == "exhibits")
        )
        for quota_id, size in ((roomy, 5), (full, 0)):
            db_session.add(Quota(id=quota_id, event_id=catalog.event_id, name=f"Exhibits {size}", size=size, used=0))
            await db_session.flush()
            db_session.add(QuotaItem(quota_id=quota_id, category_id=exhibits))
        await db_session.commit()

    answer = await _decide(
        client,
        organizer,
        catalog.slug,
        registration_id,
        decision="reject",
        on_reject="move_category",
        move_to="exhibits",
    )

    async with db_session_for(settings) as db_session:
        registration = await db_session.get_one(Registration, UUID(registration_id))
        rows = await db_session.execute(select(Quota.id, Quota.used).where(Quota.id.in_([roomy, full])))
        used = dict(rows.tuples().all())
    assert (answer.status_code, answer.json()["code"]) == (409, "sold_out")
    assert (registration.status, registration.category_id == exhibits) == ("awaiting_verification", False)
    assert used == {roomy: 0, full: 0}


# ---------------------------------------------------------------------------- cancellations, refunds


async def test_cancellation_mails_the_fee_and_refund_once_under_racing_requests(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyer, colleague = unique("payer"), unique("colleague")
    order = await place(client, catalog.slug, buyer, attendee(colleague))
    await pay(client, order)
    # No fee schedule: cancelling is free until the event starts.

    answers = await asyncio.gather(
        *(
            client.post(f"/api/orders/{order['id']}/cancel", headers={"X-Order-Secret": order["secret"]})
            for _ in range(4)
        )
    )
    await deliver(settings, port)

    [mail] = [m for m in to(inbox, buyer) if "cancelled" in str(m["Subject"])]
    [told] = [m for m in to(inbox, colleague) if "cancelled" in str(m["Subject"])]
    assert sum(a.status_code == 200 for a in answers) == 1
    assert mail["Subject"] == "Test Meeting: registration cancelled, USD 400.00 refunded"
    assert "Cancellation fee (0 %): USD 0.00\nRefund: USD 400.00" in text(mail)
    assert told["Subject"] == "Test Meeting: your registration was cancelled"
    assert "Any refund goes to Grace Hopper" in text(told)


async def test_organizer_refund_mails_the_amount_and_reason_once_per_refund(
    client: Client, settings: Settings, organizer: dict[str, str], smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyer = unique("refundee")
    order = await place(client, catalog.slug, buyer, attendee(unique("ada")))
    await pay(client, order)
    url = f"/api/orders/{order['id']}/refunds"

    first = await client.post(url, json={"amount": 10_000, "reason": "Workshop moved online"}, headers=organizer)
    second = await client.post(url, json={"amount": 5_000, "reason": "Goodwill"}, headers=organizer)
    await deliver(settings, port)

    refunds = sorted((str(m["Subject"]), text(m)) for m in to(inbox, buyer) if "refunded" in str(m["Subject"]))
    assert {first.status_code, second.status_code} <= {200, 201}
    assert [s for s, _ in refunds] == ["Test Meeting: USD 100.00 refunded", "Test Meeting: USD 50.00 refunded"]
    assert "Reason: Workshop moved online\nRefunded so far: USD 100.00 of USD 400.00 paid" in refunds[0][1]
    assert "Reason: Goodwill\nRefunded so far: USD 150.00 of USD 400.00 paid" in refunds[1][1]


# ---------------------------------------------------------------------------------- transfer, badges


async def test_transfer_gives_the_new_holder_links_and_badge_and_tells_the_old_holder(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyer, old, new = unique("boss"), unique("old"), unique("new")
    order = await place(client, catalog.slug, buyer, attendee(old))
    await pay(client, order)
    registration_id = order["registrations"][0]["id"]
    await deliver(settings, port)
    [old_welcome] = [m for m in to(inbox, old) if "registered" in str(m["Subject"])]

    moved = await client.post(
        f"/api/orders/{order['id']}/registrations/{registration_id}/transfer",
        json={"email": new, "first_name": "Alan", "last_name": "Turing", "country": "GB", "member_number": "M-777"},
        headers={"X-Order-Secret": order["secret"]},
    )
    await deliver(settings, port)

    [welcome] = to(inbox, new)
    [void] = [m for m in to(inbox, old) if "transferred" in str(m["Subject"])]
    new_link = LINK.search(text(welcome))
    old_link = LINK.search(text(old_welcome))
    assert moved.status_code in {200, 201}, moved.text
    assert welcome["Subject"] == "Test Meeting: a registration was transferred to you"
    assert new_link is not None and old_link is not None
    assert new_link.group(0) != old_link.group(0)
    assert (await client.get(local(new_link.group(0)))).status_code == 200
    assert (await client.get(local(old_link.group(0)))).status_code == 404
    assert len(list(welcome.iter_attachments())) == 1
    assert "Your registration link, calendar feed and badge no longer work" in text(void)
    assert list(void.iter_attachments()) == []


async def test_badge_reprint_mails_the_new_badge_once_per_reprint(
    client: Client, settings: Settings, staff: dict[str, str], smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    holder = unique("badge")
    order = await place(client, catalog.slug, unique("buyer"), attendee(holder))
    await pay(client, order)
    registration_id = order["registrations"][0]["id"]

    reprint = await client.post(f"/api/registrations/{registration_id}/badge/reprint", headers=staff)
    await deliver(settings, port)
    await deliver(settings, port)

    reprinted = [m for m in to(inbox, holder) if "new badge" in str(m["Subject"])]
    async with db_session_for(settings) as db_session:
        rows = await db_session.scalar(
            select(func.count()).where(OutboxMessage.dedupe_key.like(f"badge-reprinted:{registration_id}:%"))
        )
    assert reprint.status_code == 200, reprint.text
    assert rows == 1
    assert len(reprinted) == 1
    assert "the previous badge no longer opens any door" in text(reprinted[0])
    assert len(list(reprinted[0].iter_attachments())) == 1


class RefusingStripe:
    """A provider that refuses every refund for good, as Stripe does a refund of a disputed charge."""

    refund_lease = dt.timedelta(minutes=5)

    async def refund(self, payment_intent_id: str, amount: int, *, key: str, refund_id: str) -> stripe.Refund:
        raise stripe.InvalidRequestError("This charge has been disputed", param="charge")

    async def find_refund(self, payment_intent_id: str, refund_id: str) -> None:
        return None


async def test_refund_refused_by_the_provider_is_mailed_once(settings: Settings, smtp: Smtp) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyer = unique("disputed")
    order_id = await _place_in_session(settings, catalog.slug, buyer, dt.datetime.now(dt.UTC))
    async with db_session_for(settings) as db_session:
        for intent in ("pi_kept", "pi_second"):
            result = await payment_succeeded(
                db_session, order_id=order_id, provider_payment_id=intent, amount=52_000, currency="usd", actor="t"
            )
            await db_session.commit()
    assert result.refund_id is not None

    async with db_session_for(settings) as db_session:
        first = await send_refund(db_session, RefusingStripe(), result.refund_id)
        again = await send_refund(db_session, RefusingStripe(), result.refund_id)
    await deliver(settings, port)

    failed = [m for m in to(inbox, buyer) if "could not be sent" in str(m["Subject"])]
    assert (first, again) == (False, False)
    assert len(failed) == 1
    assert failed[0]["Subject"] == "Test Meeting: a refund of USD 520.00 could not be sent"
    assert f"/orders/{order_id}?secret=" in text(failed[0])


async def test_waitlist_offer_and_its_reminder_go_once_each_with_the_claim_link(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings, workshop_seats=1)
    await place(client, catalog.slug, unique("holder"), attendee(unique("ada"), add_ons=["workshop"]))
    waiting = unique("waiting")
    entry = (
        await client.post(
            f"/api/events/{catalog.slug}/waitlist", json={"email": waiting, "name": "Wanda", "add_on": "workshop"}
        )
    ).json()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    async with db_session_for(settings) as db_session:
        await expire_holds(db_session, now=later, event_id=UUID(str(catalog.event_id)))
        await process_waitlists(db_session, now=later, event_id=UUID(str(catalog.event_id)), offer_hours=24)
        await db_session.commit()

    for _ in range(3):  # three sweeps, five hours before the 24-hour offer lapses
        await enqueue_reminders_at(settings, later + dt.timedelta(hours=19))
    await deliver(settings, port)

    subjects = sorted(str(m["Subject"]) for m in to(inbox, waiting))
    claim = f"/events/{catalog.slug}/waitlist/{entry['id']}?token={entry['token']}"
    assert len(subjects) == 2
    assert subjects[0] == "Test Meeting: a seat is waiting for you"
    assert subjects[1].startswith("Test Meeting: your seat offer ends ")
    assert subjects[1].endswith("(America/New_York)")
    assert all(claim in text(m) for m in to(inbox, waiting))
    assert all("Grant Writing Workshop" in text(m) for m in to(inbox, waiting))


async def test_unpaid_order_cancelled_by_its_buyer_is_confirmed_once(
    client: Client, settings: Settings, smtp: Smtp
) -> None:
    inbox, port = smtp
    catalog = await catalog_for(settings)
    buyer = unique("changed-mind")
    order = await place(client, catalog.slug, buyer, attendee(unique("ada")))

    answers = await asyncio.gather(
        *(
            client.post(f"/api/orders/{order['id']}/cancel", headers={"X-Order-Secret": order["secret"]})
            for _ in range(3)
        )
    )
    await deliver(settings, port)

    subjects = [str(m["Subject"]) for m in to(inbox, buyer)]
    assert sum(a.status_code == 200 for a in answers) >= 1
    assert subjects == ["Test Meeting: your unpaid order was cancelled"]  # before its "pay by" mail fell due
    assert "nothing was charged" in text(to(inbox, buyer)[0])
