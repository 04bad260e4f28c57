"""The mail outbox: messages are written in the same transaction as the change they report, and a
background worker sends them. SMTP in production; a folder of .eml files (and a log line) in development.

A message is stored as a template name and a JSON context and rendered when it is sent (``podium.mail``,
with the event's wording as it is then); links with secrets are filled in only then too. Before sending, a
message whose template has a check in ``STILL_TRUE`` is asked whether what it says still holds (a hold
reminder for an order paid meanwhile): if not, it is marked ``superseded`` and never sent.

Draining is three short steps so no database lock is held while talking to a mail server: claim a batch
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) by pushing its ``next_attempt_at`` a
lease into the future and committing; send; then record each result with an UPDATE that only matches
while our lease stands. So two workers never send the same message, and a message is marked sent once.
A crash between the SMTP answer and that UPDATE sends it again after the lease: delivery is at least once,
with a stable Message-ID so mail clients can fold the duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from html import escape
from pathlib import Path
from typing import Any, Protocol, cast
from uuid import UUID, uuid4

import aiosmtplib
import anyio
import msgspec
from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import begin_write, utcnow
from podium.jobs import kick_after_commit
from podium.mail import RenderedMail, Wording, render_mail
from podium.settings import Settings
from registration import documents
from registration.links import order_url, registration_url, waitlist_url
from registration.models import MailWording, Order, OutboxMessage, Registration, WaitlistEntry

logger = logging.getLogger("podium.registration.outbox")

# The job that sends due mail (registration/tasks.py); every enqueue wakes it once its transaction commits.
SEND_MAIL_JOB = "registration.send_due_mail"

MAX_ATTEMPTS = 8
SMTP_TIMEOUT_SECONDS = 30
# How long a claimed batch is ours; sending stops early enough that the last send ends inside it.
CLAIM_LEASE = dt.timedelta(minutes=10)
# Order links carry a secret derived from the app's key, so they are filled in when the mail is sent: with the
# link's current version, or with the version the placeholder names (``{registration_link:<id>:<version>}``), so
# a mail written for one holder never carries a link made later for someone else (after a transfer).
ORDER_LINK = re.compile(r"\{order_link:([0-9a-f-]{36})(?::([0-9]+))?\}")
WAITLIST_LINK = re.compile(r"\{waitlist_link:([0-9a-f-]{36})\}")
REGISTRATION_LINK = re.compile(r"\{registration_link:([0-9a-f-]{36})(?::([0-9]+))?\}")
_RECEIPT_ATTACHMENT = re.compile(r"receipt:([0-9a-f-]{36})")


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    """SMTP through aiosmtplib (asyncio-native, so a slow mail server never blocks the event loop)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        # Port 465 speaks TLS from the first byte (RFC 8314); elsewhere STARTTLS upgrades if configured.
        implicit_tls = self.settings.smtp_port == 465
        await aiosmtplib.send(
            message,
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_username or None,
            password=self.settings.smtp_password or None,
            use_tls=implicit_tls,
            start_tls=False if implicit_tls else self.settings.smtp_starttls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )


class FolderSender:
    """Development: every mail becomes a .eml file you can open, plus one line in the log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        name = re.sub(r"[^A-Za-z0-9]+", "-", str(message["Message-ID"] or uuid4())).strip("-")
        path = self.folder / f"{name}.eml"

        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(message))

        await anyio.to_thread.run_sync(write)
        logger.info("mail to %s: %s (%s)", message["To"], message["Subject"], path)


def sender_for(settings: Settings) -> MailSender:
    return SmtpSender(settings) if settings.smtp_host else FolderSender(settings.data_dir / "mail")


def _one_line(text: str) -> str:
    """Header values never carry line breaks (an organizer's event name must not add headers)."""
    return " ".join(text.split())


def json_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as stored: UUIDs, instants and days become JSON strings now, not at send time."""
    return cast(dict[str, Any], msgspec.json.decode(msgspec.json.encode(context)))


def _values(
    *, dedupe_key: str, to: str, template: str, context: Mapping[str, Any], attachments: Sequence[str]
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid4(),
        "dedupe_key": dedupe_key,
        "to_address": _one_line(to),
        "template": template,
        "context": json_context(context),
        "subject": "",
        "body_text": "",
        "attachments": list(attachments),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
    }


def enqueue_statement(
    dialect: str,
    *,
    dedupe_key: str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    attachments: Sequence[str] = (),
) -> Any:
    """The INSERT that adds one message, ignoring a duplicate key in the database itself (so two concurrent
    enqueuers can't fail each other). Also usable from a flush hook, which can't await."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = _values(dedupe_key=dedupe_key, to=to, template=template, context=context, attachments=attachments)
    return insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])


def outbox_row(
    *, dedupe_key: str, to: str, template: str, context: Mapping[str, Any], attachments: Sequence[str] = ()
) -> OutboxMessage:
    """A message as an ORM object, for a writer that inserts rows itself (``order_write``): only for a
    dedupe key nobody else can have written (it names a row created in the same statement)."""
    return OutboxMessage(
        **_values(dedupe_key=dedupe_key, to=to, template=template, context=context, attachments=attachments)
    )


async def enqueue(
    db_session: AsyncSession,
    *,
    dedupe_key: str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    attachments: Sequence[str] = (),
) -> None:
    """Add a message to the caller's transaction; the same ``dedupe_key`` twice is one message.

    ``template`` names ``podium/templates/mail/<template>.txt`` and ``.html``; ``context`` is what they show
    (JSON: money in minor units, instants in UTC). ``attachments`` name what to render at send time
    (``"receipt:<order id>"``: the order's current receipt, numbered first if it is still pending), so the
    outbox never stores PDFs.
    """
    dialect = db_session.get_bind().dialect.name
    statement = enqueue_statement(
        dialect, dedupe_key=dedupe_key, to=to, template=template, context=context, attachments=attachments
    )
    await db_session.execute(statement)
    kick_after_commit(db_session, SEND_MAIL_JOB)


# Per template: does what the message says still hold? Registered by the modules that write such messages;
# asked in the sending worker's read transaction just before rendering.
StillTrue = Callable[[AsyncSession, Mapping[str, Any]], Awaitable[bool]]
STILL_TRUE: dict[str, StillTrue] = {}


@dataclass(frozen=True)
class _Claimed:
    """A message claimed by this worker, copied out of the session so sending needs no transaction."""

    id: UUID
    to: str
    template: str
    context: dict[str, Any]
    subject: str
    body: str
    attachments: tuple[str, ...]
    attempts: int
    lease_until: dt.datetime


async def _claim(db_session: AsyncSession, now: dt.datetime, batch: int) -> list[_Claimed]:
    await begin_write(db_session)
    rows = (
        await db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    lease_until = now + CLAIM_LEASE
    claimed = []
    for row in rows:
        row.next_attempt_at = lease_until
        claimed.append(
            _Claimed(
                row.id,
                row.to_address,
                row.template,
                dict(row.context),
                row.subject,
                row.body_text,
                tuple(row.attachments),
                row.attempts,
                lease_until,
            )
        )
    await db_session.commit()
    return claimed


async def _links(db_session: AsyncSession, settings: Settings, bodies: Sequence[str]) -> dict[UUID, str]:
    """The secret links the messages mention without a version, made now from the app's key (never stored in
    the outbox); versioned ones need no lookup (``_fill``)."""
    order_ids = {UUID(m) for body in bodies for m, version in ORDER_LINK.findall(body) if not version}
    entry_ids = {UUID(m) for body in bodies for m in WAITLIST_LINK.findall(body)}
    registration_ids = {UUID(m) for body in bodies for m, version in REGISTRATION_LINK.findall(body) if not version}
    links: dict[UUID, str] = {}
    if registration_ids:
        found = await db_session.execute(
            select(Registration.id, Registration.secret_version).where(Registration.id.in_(registration_ids))
        )
        links |= {i: registration_url(settings.base_url, settings.secret_key, i, v) for i, v in found.all()}
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


class AttachmentError(LookupError):
    """An attachment can't be made (unknown kind, or its order has no receipt); retried, then failed."""


# Attachments later domains render (``"badge:<registration id>"`` from badges): registration can't import
# them, so they register here at import. A renderer returns (content, filename) of a PDF.
AttachmentRenderer = Callable[[AsyncSession, Settings, str], Awaitable[tuple[bytes, str]]]
ATTACHMENT_RENDERERS: dict[str, AttachmentRenderer] = {}


async def _attach(db_session: AsyncSession, settings: Settings, message: EmailMessage, spec: str) -> None:
    kind, _, argument = spec.partition(":")
    if kind in ATTACHMENT_RENDERERS:
        content, filename = await ATTACHMENT_RENDERERS[kind](db_session, settings, argument)
        message.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
        return
    found = _RECEIPT_ATTACHMENT.fullmatch(spec)
    if found is None:
        raise AttachmentError(f"unknown attachment {spec!r}")
    # Numbered now if the payment's own numbering hasn't run yet (it runs right after commit, so rarely).
    receipt = documents.current_receipt(await documents.ensure_documents_issued(db_session, UUID(found.group(1))))
    if receipt is None:
        raise AttachmentError(f"order {found.group(1)} has no receipt")
    pdf, filename = await documents.document_pdf(db_session, receipt)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)


def _fill(body: str, links: dict[UUID, str], settings: Settings, *, html: bool = False) -> str:
    """Put the links into a message body; ``links`` holds the current ones (from ``_links``)."""
    shown: Callable[[str], str] = escape if html else str

    def versioned(url: Callable[[str, str, UUID, int], str]) -> Callable[[re.Match[str]], str]:
        def link(found: re.Match[str]) -> str:
            target, version = UUID(found.group(1)), found.group(2)
            if not version:
                return shown(links.get(target, ""))
            return shown(url(settings.base_url, settings.secret_key, target, int(version)))

        return link

    body = ORDER_LINK.sub(versioned(order_url), body)
    body = WAITLIST_LINK.sub(lambda m: shown(links.get(UUID(m.group(1)), "")), body)
    return REGISTRATION_LINK.sub(versioned(registration_url), body)


def _event_id(context: Mapping[str, Any]) -> UUID | None:
    event = context.get("event")
    found = event.get("id") if isinstance(event, dict) else None
    return UUID(str(found)) if found else None


Wordings = dict[tuple[UUID, str], Wording]


async def wordings_for(db_session: AsyncSession, event_ids: set[UUID]) -> Wordings:
    """The events' own words, per (event, template): one query for a whole batch of messages."""
    if not event_ids:
        return {}
    rows = await db_session.scalars(select(MailWording).where(MailWording.event_id.in_(event_ids)))
    return {(r.event_id, r.template): Wording(r.subject, r.intro, r.sign_off) for r in rows.all()}


async def render_message(
    db_session: AsyncSession, template: str, context: Mapping[str, Any], wordings: Wordings | None = None
) -> RenderedMail:
    """A stored message as it reads now (links still placeholders): the template with the event's wording
    (from ``wordings`` when the caller fetched a batch's, else looked up)."""
    event_id = _event_id(context)
    if wordings is None:
        wordings = await wordings_for(db_session, {event_id} if event_id else set())
    wording = wordings.get((event_id, template), Wording()) if event_id else Wording()
    return render_mail(template, context, wording)


async def _compose(db_session: AsyncSession, settings: Settings, item: _Claimed, wordings: Wordings) -> EmailMessage:
    if item.template:
        rendered = await render_message(db_session, item.template, item.context, wordings)
    else:  # written before templates: its text was stored
        rendered = RenderedMail(item.subject, item.body, "")
    links = await _links(db_session, settings, [rendered.text, rendered.html])
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = item.to
    message["Subject"] = _one_line(rendered.subject)
    message["Date"] = formatdate(localtime=False)
    # Stable per outbox row, so a message sent twice after a crash is recognisably the same one.
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "podium.invalid"
    message["Message-ID"] = f"<{item.id}@{domain}>"
    message.set_content(_fill(rendered.text, links, settings))
    if rendered.html:
        message.add_alternative(_fill(rendered.html, links, settings, html=True), subtype="html")
    for spec in item.attachments:
        await _attach(db_session, settings, message, spec)
    return message


async def _still_true(db_session: AsyncSession, item: _Claimed) -> bool:
    check = STILL_TRUE.get(item.template)
    return check is None or await check(db_session, item.context)


def _permanent(exc: Exception) -> bool:
    """Every recipient refused with a 5xx: retrying won't help. Other 5xx (say, a wrong SMTP password)
    are the server's or our configuration's fault and heal, so those are retried."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    return False


async def _record(db_session: AsyncSession, item: _Claimed, **values: object) -> None:
    await begin_write(db_session)
    result = await db_session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == item.id,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at == item.lease_until,
        )
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await db_session.commit()
    if cast(CursorResult[Any], result).rowcount != 1:
        logger.warning("outbox message %s: lease lost before its result was recorded", item.id)


async def drain_outbox(
    db_session: AsyncSession,
    sender: MailSender,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    batch: int = 50,
) -> int:
    """Send the due messages and return how many went out; failures are retried with exponential
    backoff (2, 4, 8 … minutes, at most an hour) and given up after MAX_ATTEMPTS."""
    now = now or utcnow()
    claimed = await _claim(db_session, now, batch)
    wordings = await wordings_for(db_session, {e for e in (_event_id(item.context) for item in claimed) if e})
    deadline = time.monotonic() + CLAIM_LEASE.total_seconds() - 2 * SMTP_TIMEOUT_SECONDS
    sent = 0
    for item in claimed:
        if time.monotonic() > deadline:  # the rest stay claimed and come due when the lease ends
            break
        try:
            if not await _still_true(db_session, item):
                await db_session.commit()
                await _record(db_session, item, status="superseded", attempts=item.attempts)
                continue
            message = await _compose(db_session, settings, item, wordings)
            await db_session.commit()  # end the read transaction before talking to the mail server
            await sender.send(message)
        except Exception as exc:  # any failure of one message (mail server, rendering) must not stop the rest
            await db_session.rollback()
            attempts = item.attempts + 1
            give_up = attempts >= MAX_ATTEMPTS or _permanent(exc)
            logger.warning("mail to %s failed (attempt %d): %s", item.to, attempts, exc)
            await _record(
                db_session,
                item,
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                next_attempt_at=now + dt.timedelta(minutes=min(60, 2**attempts)),
                status="failed" if give_up else "pending",
            )
            continue
        await _record(db_session, item, status="sent", sent_at=now, attempts=item.attempts + 1)
        sent += 1
    return sent
