"""Confirmation mail through the outbox: written with the confirmation, sent once to a real local SMTP
server (aiosmtpd), retried with backoff when the server is down."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from podium.settings import Settings
from registration.models import OutboxMessage
from registration.outbox import SmtpSender, drain_outbox
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body
from tests.servers import free_port

Client = AsyncTestClient[Litestar]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content or b""))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def _settle_existing(settings: Settings) -> None:
    """Earlier tests in this module left mail behind; mark it sent so counts here are this test's own."""
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(status="sent"))
        await db_session.commit()


async def test_paid_order_mails_each_attendee_and_the_buyer_once(
    client: Client, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await _settle_existing(settings)
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (
        await client.post(
            f"/api/events/{catalog.slug}/orders",
            json=order_body(attendee("ada@example.org"), attendee("alan@example.org")),
        )
    ).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    mail_settings = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)

    async with db_session_for(settings) as db_session:
        first = await drain_outbox(db_session, SmtpSender(mail_settings), mail_settings)
    async with db_session_for(settings) as db_session:
        second = await drain_outbox(db_session, SmtpSender(mail_settings), mail_settings)

    by_recipient = {m["To"]: m for m in inbox.messages}
    buyer = by_recipient["buyer@example.org"].get_payload(decode=True).decode()
    assert (first, second) == (3, 0)
    assert sorted(by_recipient) == ["ada@example.org", "alan@example.org", "buyer@example.org"]
    assert by_recipient["ada@example.org"]["Subject"] == "Test Meeting: you are registered"
    assert f"/orders/{order['id']}?secret={order['secret']}" in buyer
    assert "Total paid: USD 800.00" in buyer


async def test_unreachable_smtp_is_retried_later(client: Client, settings: Settings) -> None:
    await _settle_existing(settings)
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    down = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False)
    now = dt.datetime.now(dt.UTC)

    async with db_session_for(settings) as db_session:
        sent = await drain_outbox(db_session, SmtpSender(down), down, now=now)
        rows = (await db_session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))).all()

    assert sent == 0
    assert len(rows) == 2
    assert {(r.attempts, r.next_attempt_at > now) for r in rows} == {(1, True)}
    assert all(r.last_error for r in rows)
