"""The mail outbox: messages are written in the same transaction as the change they report, and a
background worker sends them. SMTP in production; a folder of .eml files (and a log line) in development.

Sending is at-least-once: a message is marked sent in the transaction that locked it, so a crash between
the SMTP answer and the commit sends it again, while two workers never send the same message at once
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from uuid import UUID

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import begin_write, utcnow
from podium.settings import Settings
from registration.links import order_url, waitlist_url
from registration.models import Order, OutboxMessage, WaitlistEntry

logger = logging.getLogger("podium.registration.outbox")
MAX_ATTEMPTS = 8
# Order links carry a secret derived from the app's key, so they are filled in when the mail is sent.
ORDER_LINK = re.compile(r"\{order_link:([0-9a-f-]{36})\}")
WAITLIST_LINK = re.compile(r"\{waitlist_link:([0-9a-f-]{36})\}")


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    """SMTP through aiosmtplib (asyncio-native, so a slow mail server never blocks the event loop)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_username or None,
            password=self.settings.smtp_password or None,
            start_tls=self.settings.smtp_starttls,
            timeout=30,
        )


class FolderSender:
    """Development: every mail becomes a .eml file you can open, plus one line in the log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9]+", "-", str(message["Message-ID"] or utcnow().isoformat())).strip("-")
        (self.folder / f"{name}.eml").write_bytes(bytes(message))
        logger.info("mail to %s: %s (saved in %s)", message["To"], message["Subject"], self.folder)


def sender_for(settings: Settings) -> MailSender:
    return SmtpSender(settings) if settings.smtp_host else FolderSender(settings.data_dir / "mail")


async def enqueue(db_session: AsyncSession, *, dedupe_key: str, to: str, subject: str, body: str) -> None:
    """Add a message to the caller's transaction; the same ``dedupe_key`` twice is one message."""
    if await db_session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return
    db_session.add(
        OutboxMessage(
            dedupe_key=dedupe_key,
            to_address=to,
            subject=subject,
            body_text=body,
            attachments=[],
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
        )
    )


def _message(row: OutboxMessage, settings: Settings, links: dict[UUID, str]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = f"<{row.id}@podium>"
    body = ORDER_LINK.sub(lambda m: links.get(UUID(m.group(1)), ""), row.body_text)
    body = WAITLIST_LINK.sub(lambda m: links.get(UUID(m.group(1)), ""), body)
    message.set_content(body)
    return message


async def _links(db_session: AsyncSession, settings: Settings, rows: list[OutboxMessage]) -> dict[UUID, str]:
    """The secret links the messages mention, made now from the app's key (never stored in the outbox)."""
    order_ids = {UUID(m) for row in rows for m in ORDER_LINK.findall(row.body_text)}
    entry_ids = {UUID(m) for row in rows for m in WAITLIST_LINK.findall(row.body_text)}
    links: dict[UUID, str] = {}
    if order_ids:
        versions = await db_session.execute(select(Order.id, Order.secret_version).where(Order.id.in_(order_ids)))
        links |= {i: order_url(settings.base_url, settings.secret_key, i, v) for i, v in versions.all()}
    if entry_ids:
        slugs = await db_session.execute(
            select(WaitlistEntry.id, Event.slug)
            .join(Event, Event.id == WaitlistEntry.event_id)
            .where(WaitlistEntry.id.in_(entry_ids))
        )
        links |= {i: waitlist_url(settings.base_url, settings.secret_key, slug, i) for i, slug in slugs.all()}
    return links


async def drain_outbox(
    db_session: AsyncSession,
    sender: MailSender,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    batch: int = 50,
) -> int:
    """Send the due messages; failures are retried with backoff and given up after MAX_ATTEMPTS."""
    now = now or utcnow()
    await begin_write(db_session)
    rows = (
        await db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    links = await _links(db_session, settings, list(rows))
    sent = 0
    for row in rows:
        try:
            await sender.send(_message(row, settings, links))
        except (aiosmtplib.SMTPException, OSError) as exc:
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.next_attempt_at = now + dt.timedelta(minutes=min(60, 2**row.attempts))
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            continue
        row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
        sent += 1
    await db_session.commit()
    return sent
