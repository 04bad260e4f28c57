"""Mail after payment through the outbox: written with the confirmation, sent once to a real local SMTP
server (aiosmtpd) with the receipt attached, retried with backoff when the server is down, never sent
twice by racing workers."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium.mail_senders import FolderSender, MailSender, SmtpSender, sender_for
from podium.main.app import create_app
from podium.outbox import enqueue
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.attachments import drain_outbox
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body
from tests.registration.mailbox import Inbox, smtp_settings, text
from tests.servers import free_port


class SlowCapture:
    """A sender that takes its time, so racing drains overlap for real."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: EmailMessage) -> None:
        await asyncio.sleep(0.01)
        self.sent.append(str(message["Message-ID"]))


async def _settle_existing(settings: Settings) -> None:
    """Earlier tests in this module left mail behind; mark it sent so counts here are this test's own."""
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(status="sent"))
        await db_session.commit()


async def _paid_order(client: Client, settings: Settings, *attendees: dict[str, object]) -> dict[str, Any]:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(*attendees))).json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code in {200, 201}
    return order | {"slug": catalog.slug}


async def _drain(settings: Settings, sender: MailSender, *, now: dt.datetime | None = None, batch: int = 50) -> int:
    async with db_session_for(settings) as db_session:
        return await drain_outbox(db_session, sender, settings, now=now, batch=batch)


GUARD = {
    "name": "Dev",
    "email": "dev@example.org",
    "minutes": 15,
    "hours": 24,
    "unlock_url": "https://podium.example/u",
}


async def _plain(db_session: AsyncSession, key: str, to: str, **facts: object) -> None:
    """A message of a template that needs no event (the login guard's)."""
    await enqueue(db_session, dedupe_key=key, to=to, template="login_guard", context=GUARD | facts)


async def test_paid_order_mails_attendees_and_the_buyer_with_the_receipt_once(
    client: Client, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await _settle_existing(settings)
    order = await _paid_order(
        client,
        settings,
        attendee("ada@example.org", add_ons=["workshop"]),
        attendee("alan@example.org", category="student", member_number=None, verification_note="PhD student"),
    )
    mail_settings = smtp_settings(settings, port)

    first = await _drain(mail_settings, SmtpSender(mail_settings))
    second = await _drain(mail_settings, SmtpSender(mail_settings))

    by_recipient = {str(m["To"]): m for m in inbox.messages}
    ada, alan, buyer = (by_recipient[a] for a in ("ada@example.org", "alan@example.org", "buyer@example.org"))
    number = f"{str(order['slug']).upper()}-000001"
    buyer_text = text(buyer)
    [receipt] = list(buyer.iter_attachments())
    assert (first, second) == (3, 0)
    assert len(inbox.messages) == 3
    assert ada["Subject"] == "Test Meeting: you are registered"
    assert "Registration: Member\n  + Grant Writing Workshop" in text(ada)
    assert "(America/New_York)" in text(ada)
    assert alan["Subject"] == "Test Meeting: registration awaiting verification"
    assert "awaits verification" in text(alan)
    assert order["secret"] not in text(ada) + text(alan)
    assert buyer["Subject"] == "Test Meeting: your receipt (USD 670.00)"
    assert f"/orders/{order['id']}?secret={order['secret']}" in buyer_text
    assert "Total paid: USD 670.00" in buyer_text
    assert receipt.get_content_type() == "application/pdf"
    assert receipt.get_filename() == f"receipt-{number}.pdf"
    assert receipt.get_content().startswith(b"%PDF")
    # The confirmed attendee gets their badge and their own page's link; the one awaiting verification waits.
    [badge] = list(ada.iter_attachments())
    assert re.fullmatch(r"badge-[0-9A-Z]{8}\.pdf", badge.get_filename() or "")
    assert badge.get_content().startswith(b"%PDF")
    assert list(alan.iter_attachments()) == []
    assert re.search(r"/registrations/[0-9a-f-]{36}\?secret=", text(ada))


async def test_buyer_who_is_an_attendee_gets_one_mail_with_receipt_badge_and_both_links(
    client: Client, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await _settle_existing(settings)
    order = await _paid_order(
        client, settings, attendee("Buyer@Example.org", add_ons=["workshop"]), attendee("grace@example.org")
    )
    mail_settings = smtp_settings(settings, port)

    sent = await _drain(mail_settings, SmtpSender(mail_settings))
    again = await _drain(mail_settings, SmtpSender(mail_settings))

    [buyer] = [m for m in inbox.messages if str(m["To"]) == "buyer@example.org"]
    [other] = [m for m in inbox.messages if str(m["To"]) == "grace@example.org"]
    buyer_text = text(buyer)
    names = [a.get_filename() or "" for a in buyer.iter_attachments()]
    assert (sent, again, len(inbox.messages)) == (2, 0, 2)
    assert buyer["Subject"] == "Test Meeting: your receipt (USD 920.00)"
    assert f"/orders/{order['id']}?secret={order['secret']}" in buyer_text
    assert re.search(
        r"Your page \(personal agenda, calendar feed, badge\): \S+/registrations/[0-9a-f-]{36}\?secret=", buyer_text
    )
    assert "Your badge is attached" in buyer_text
    assert names[0] == f"receipt-{str(order['slug']).upper()}-000001.pdf"
    assert re.fullmatch(r"badge-[0-9A-Z]{8}\.pdf", names[1])
    assert len(names) == 2
    assert other["Subject"] == "Test Meeting: you are registered"
    [other_badge] = list(other.iter_attachments())
    assert re.fullmatch(r"badge-[0-9A-Z]{8}\.pdf", other_badge.get_filename() or "")


async def test_unreachable_smtp_is_retried_later(client: Client, settings: Settings) -> None:
    await _settle_existing(settings)
    await _paid_order(client, settings, attendee())
    down = smtp_settings(settings, free_port())
    now = dt.datetime.now(dt.UTC)

    sent = await _drain(down, SmtpSender(down), now=now)

    async with db_session_for(settings) as db_session:
        rows = (await db_session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))).all()
    assert sent == 0
    assert len(rows) == 2
    assert {(r.attempts, r.next_attempt_at - now) for r in rows} == {(1, dt.timedelta(minutes=2))}
    assert all(r.last_error.startswith("SMTPConnectError") for r in rows)


async def test_refused_recipient_fails_at_once_and_the_rest_goes_out(
    settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await _settle_existing(settings)
    async with db_session_for(settings) as db_session:
        await _plain(db_session, "t:refused", "nobody@refused.example")
        await _plain(db_session, "t:fine", "someone@example.org")
        await db_session.commit()
    mail_settings = smtp_settings(settings, port)

    sent = await _drain(mail_settings, SmtpSender(mail_settings))

    async with db_session_for(settings) as db_session:
        refused = await db_session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "t:refused"))
    assert sent == 1
    assert [str(m["To"]) for m in inbox.messages] == ["someone@example.org"]
    assert refused is not None
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert refused.last_error.startswith("SMTPRecipientsRefused")


async def test_message_whose_attachment_cannot_be_made_waits_without_blocking_others(settings: Settings) -> None:
    await _settle_existing(settings)
    async with db_session_for(settings) as db_session:
        await enqueue(
            db_session, dedupe_key="t:no-receipt", to="a@example.org", template="login_guard", context=GUARD,
            attachments=[f"receipt:{uuid4()}"],
        )  # fmt: skip
        await _plain(db_session, "t:plain", "b@example.org")
        await db_session.commit()
    captured = SlowCapture()

    sent = await _drain(settings, captured)

    async with db_session_for(settings) as db_session:
        broken = await db_session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "t:no-receipt"))
    assert sent == 1
    assert broken is not None
    assert (broken.status, broken.attempts) == ("pending", 1)
    assert broken.last_error.startswith("AttachmentError")


async def test_enqueue_same_dedupe_key_twice_is_one_message(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        for name in ("first", "second"):
            await _plain(db_session, "t:twice", "x@example.org", name=name)
        await db_session.commit()
        await _plain(db_session, "t:twice", "x@example.org", name="third")
        await db_session.commit()

        rows = (await db_session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "t:twice"))).all()
    assert [r.context["name"] for r in rows] == ["first"]


async def test_racing_drains_send_each_message_once(settings: Settings) -> None:
    await _settle_existing(settings)
    async with db_session_for(settings) as db_session:
        for i in range(40):
            await _plain(db_session, f"t:race:{i}", f"r{i}@example.org")
        await db_session.commit()
    captured = SlowCapture()

    counts = await asyncio.gather(*(_drain(settings, captured, batch=7) for _ in range(6)))
    counts += await asyncio.gather(*(_drain(settings, captured, batch=7) for _ in range(6)))

    async with db_session_for(settings) as db_session:
        pending = await db_session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        )
    assert sum(counts) == 40
    assert len(captured.sent) == len(set(captured.sent)) == 40
    assert pending == 0


async def test_without_smtp_host_mail_goes_to_the_data_folder(settings: Settings) -> None:
    await _settle_existing(settings)
    async with db_session_for(settings) as db_session:
        await _plain(db_session, "t:folder", "dev@example.org")
        await db_session.commit()
    sender = sender_for(settings)

    sent = await _drain(settings, sender)

    files = list((settings.data_dir / "mail").glob("*.eml"))
    assert isinstance(sender, FolderSender)
    assert sent == 1
    assert len(files) == 1
    saved = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert (saved["To"], saved["Subject"]) == ("dev@example.org", "Podium: many failed logins to your account")


async def test_background_drainer_of_the_app_sends_mail_after_payment(
    settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await _settle_existing(settings)
    # The web process runs the jobs (the embedded default): the payment's commit wakes the mail job.
    app = create_app(dataclasses.replace(smtp_settings(settings, port), web_runs_jobs=True))
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)

    async with AsyncTestClient(app=app) as client:
        order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
        await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
        for _ in range(100):
            if len([m for m in inbox.messages if "held until" not in str(m["Subject"])]) >= 2:
                break
            await asyncio.sleep(0.05)

    # The "places held" mail goes out only if the drainer ran before the payment (else it is superseded).
    held = [str(m["Subject"]) for m in inbox.messages if "held until" in str(m["Subject"])]
    subjects = sorted(str(m["Subject"]) for m in inbox.messages if "held until" not in str(m["Subject"]))
    assert len(subjects) == 2
    assert len(held) <= 1
    assert subjects[0] == "Test Meeting: you are registered"
    assert subjects[1].startswith("Test Meeting: your receipt ")


class Dropping(Inbox):
    """A server that ends each connection after ``per_connection`` messages, as some providers cap them."""

    def __init__(self, per_connection: int) -> None:
        super().__init__()
        self.per_connection = per_connection
        self.sessions: list[object] = []
        self.counts: list[int] = []

    async def handle_DATA(self, server: Any, session: object, envelope: Envelope) -> str:
        if not any(s is session for s in self.sessions):
            self.sessions.append(session)
            self.counts.append(0)
        index = next(i for i, s in enumerate(self.sessions) if s is session)
        self.counts[index] += 1
        if self.counts[index] == self.per_connection:
            asyncio.get_running_loop().call_soon(server.transport.close)  # after the 250 below is written
        return await super().handle_DATA(server, session, envelope)


async def test_one_connection_carries_a_batch_and_a_dropped_one_is_opened_again(settings: Settings) -> None:
    await _settle_existing(settings)
    async with db_session_for(settings) as db_session:
        for i in range(7):
            await _plain(db_session, f"t:drop:{i}", f"d{i}@example.org")
        await db_session.commit()
    server, port = Dropping(per_connection=3), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    mail_settings = smtp_settings(settings, port)

    try:
        sent = await _drain(mail_settings, SmtpSender(mail_settings))
    finally:
        controller.stop()

    async with db_session_for(settings) as db_session:
        rows = (await db_session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("t:drop:%")))).all()
    assert sent == 7
    assert sorted(str(m["To"]) for m in server.messages) == [f"d{i}@example.org" for i in range(7)]
    assert server.counts == [3, 3, 1]
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
