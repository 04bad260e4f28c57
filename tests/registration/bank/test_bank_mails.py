"""The mails of an order paid by bank transfer: one reminder days before the due date, and, when the due date
passes unpaid, the expiry mail saying the invoice was not paid (and that the part received goes back)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.bank import how_to_pay
from registration.mail.held import enqueue_held_mails
from registration.mail.reminders import enqueue_reminders
from registration.mail.services import HELD_MAIL_DELAY
from registration.models import Order
from registration.orders.holds import expire_holds
from tests.asgi_client import Client
from tests.registration.bank.helpers import bank_event, choose, mark, place
from tests.registration.factories import attendee, db_session_for, order_body, outbox_mails
from tests.registration.mailbox import Inbox, deliver, text, to


async def test_reminder_goes_once_days_before_the_due_date_with_the_reference(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built = await bank_event(settings, client, organizer)
    order = await place(client, built.slug)
    reference = (await choose(client, order)).json()["reference"]
    await mark(client, organizer, order["id"], 5_000)
    async with db_session_for(settings) as db_session:
        row = await db_session.get(Order, order["id"])
        assert row is not None and row.payment_due_at is not None
        due = row.payment_due_at

        early = await enqueue_reminders(db_session, offer_hours=24, now=due - dt.timedelta(days=5))
        first = await enqueue_reminders(db_session, offer_hours=24, now=due - dt.timedelta(days=2))
        await db_session.commit()
        again = await enqueue_reminders(db_session, offer_hours=24, now=due - dt.timedelta(days=1))
        await db_session.commit()
        mails = await outbox_mails(db_session, OutboxMessage.dedupe_key.like(f"hold-reminder:{order['id']}:%"))

    assert (early, first, again) == (0, 1, 0)
    assert len(mails) == 1
    text = mails[0][1].text
    assert reference in text
    still_due = f"USD {(order['total'] - 5_000) / 100:,.2f}"
    assert f"Please transfer {still_due}, quoting the payment reference {reference};" in text
    assert f"To pay: {still_due}" in text


async def test_expiry_after_the_due_date_says_the_invoice_was_not_paid(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built = await bank_event(settings, client, organizer)
    order = await place(client, built.slug)
    reference = (await choose(client, order)).json()["reference"]
    await mark(client, organizer, order["id"], 5_000)
    async with db_session_for(settings) as db_session:
        row = await db_session.get(Order, order["id"])
        assert row is not None and row.payment_due_at is not None

        after = row.payment_due_at + dt.timedelta(seconds=1)
        ended = await expire_holds(db_session, now=after, event_id=built.event_id)
        await db_session.commit()
        mails = await outbox_mails(db_session, OutboxMessage.dedupe_key == f"hold-expired:{order['id']}")
        status = await db_session.scalar(select(Order.status).where(Order.id == order["id"]))

    assert (ended, status, len(mails)) == (1, "expired", 1)
    text = mails[0][1].text
    assert f"payment reference {reference}" in text
    assert "was not paid in full by its due date" in text
    assert "The USD 50.00 that did arrive will be sent back to you." in text


async def test_how_to_pay_mail_goes_once_under_replayed_and_racing_choices_with_the_invoice(
    settings: Settings, client: Client, organizer: dict[str, str], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    built = await bank_event(settings, client, organizer)
    order = await place(client, built.slug)

    racing = await asyncio.gather(choose(client, order), choose(client, order))
    replayed = await choose(client, order)
    await deliver(settings, port)

    async with db_session_for(settings) as db_session:
        rows = await db_session.scalar(
            select(func.count()).where(OutboxMessage.dedupe_key == f"bank-transfer-chosen:{order['id']}")
        )
    chosen = replayed.json()
    [mail] = [m for m in to(inbox, "buyer@example.org") if chosen["reference_printed"] in str(m["Subject"])]
    body = text(mail)
    [invoice] = list(mail.iter_attachments())
    assert [r.status_code for r in [*racing, replayed]] == [200, 200, 200]
    assert rows == 1
    assert f"Payment reference: {chosen['reference_printed']}" in body
    assert "IBAN: DE89 3704 0044 0532 0130 00" in body
    assert f"Amount: USD {order['total'] / 100:,.2f}" in body
    assert f"/orders/{order['id']}?secret=" in body
    assert invoice.get_filename() == f"invoice-{chosen['reference']}.pdf"
    assert invoice.get_content().startswith(b"%PDF")


async def test_how_to_pay_mail_stops_being_true_once_the_order_is_paid(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built = await bank_event(settings, client, organizer)
    waiting, paid = await place(client, built.slug), await place(client, built.slug)
    await choose(client, waiting)
    await choose(client, paid)
    await mark(client, organizer, paid["id"], paid["total"])

    async with db_session_for(settings) as db_session:
        contexts = [
            (await db_session.scalars(select(OutboxMessage.context).where(OutboxMessage.dedupe_key == key))).one()
            for key in (f"bank-transfer-chosen:{waiting['id']}", f"bank-transfer-chosen:{paid['id']}")
        ]
        verdicts = await how_to_pay.STILL_TRUE_CHECKS[how_to_pay.TEMPLATE](db_session, contexts)

    assert list(verdicts) == [True, False]


async def test_how_to_pay_mail_shows_the_due_date_on_the_buyers_clock_beside_the_events(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built = await bank_event(settings, client, organizer)
    from_tokyo = (
        await client.post(
            f"/api/events/{built.slug}/orders",
            json=order_body(attendee()),
            headers={"Cookie": "podium_tz=Asia/Tokyo"},
        )
    ).json()
    from_nowhere = await place(client, built.slug)
    await choose(client, from_tokyo)
    await choose(client, from_nowhere)

    async with db_session_for(settings) as db_session:
        [(_, tokyo)] = await outbox_mails(
            db_session, OutboxMessage.dedupe_key == f"bank-transfer-chosen:{from_tokyo['id']}"
        )
        [(_, plain)] = await outbox_mails(
            db_session, OutboxMessage.dedupe_key == f"bank-transfer-chosen:{from_nowhere['id']}"
        )

    assert "your time, Asia/Tokyo)" in tokyo.text and "your time, Asia/Tokyo)" in tokyo.html
    assert "Due by:" in tokyo.text and "your time" not in plain.text and "your time" not in plain.html


async def test_an_order_paid_by_transfer_has_its_invoice_and_never_the_held_mail(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built = await bank_event(settings, client, organizer)
    order = await place(client, built.slug)
    await choose(client, order)
    async with db_session_for(settings) as db_session:
        written = await enqueue_held_mails(db_session, now=dt.datetime.now(dt.UTC) + HELD_MAIL_DELAY)
        await db_session.commit()
        keys = list(
            await db_session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"%:{order['id']}"))
            )
        )

    assert written == 0
    assert keys == [f"bank-transfer-chosen:{order['id']}"]
