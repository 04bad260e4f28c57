"""The mails of an order paid by bank transfer: one reminder days before the due date, and, when the due date
passes unpaid, the expiry mail saying the invoice was not paid (and that the part received goes back)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.reminders import enqueue_reminders
from registration.models import Order
from registration.orders.holds import expire_holds
from tests.asgi_client import Client
from tests.registration.bank.helpers import bank_event, choose, mark, place
from tests.registration.factories import db_session_for, outbox_mails


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
