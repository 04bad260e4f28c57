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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from functools import partial
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
from podium.db import begin_write, end_reads, utcnow
from podium.jobs import kick_after_commit
from podium.mail import (
    BASE_URL_PLACEHOLDER,
    Attachment,
    OutgoingMail,
    RenderedMail,
    Wording,
    compose_mime,
    render_mail,
)
from podium.settings import Settings
from registration import documents
from registration.links import order_url, registration_url, waitlist_url
from registration.models import Document, MailWording, Order, OutboxMessage, Registration, WaitlistEntry

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


class MailSender(Protocol):
    """What the drain hands composed mail to. A fake that only implements ``send`` gets each message parsed back
    into an ``EmailMessage``; real senders take the bytes as they are (``send_mail``)."""

    async def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    """SMTP through aiosmtplib (asyncio-native, so a slow mail server never blocks the event loop).

    Inside ``batch()`` one connection carries every message (a connection per message cost more CPU than the
    message itself); outside it, each message opens its own. When the server has ended a connection we already
    used (idle timeout, a cap on messages per connection: closed, or 421 to MAIL FROM), the next message begins
    again on a new connection, which is safe because nothing of it had gone out yet. A connection lost later in
    a message fails that message like any other failure (retried with backoff; delivery stays at least once
    with a stable Message-ID), and the next message opens a new connection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._batching = False
        self._connect_error: Exception | None = None
        self._reused = False  # the connection has carried a message already

    def _new_client(self) -> aiosmtplib.SMTP:
        # Port 465 speaks TLS from the first byte (RFC 8314); elsewhere STARTTLS upgrades if configured.
        implicit_tls = self.settings.smtp_port == 465
        return aiosmtplib.SMTP(
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_username or None,
            password=self.settings.smtp_password or None,
            use_tls=implicit_tls,
            start_tls=False if implicit_tls else self.settings.smtp_starttls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        self._batching, self._connect_error = True, None
        try:
            yield
        finally:
            self._batching = False
            await self._drop()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._connect_error is not None:  # the server was unreachable a moment ago: the rest of the batch waits
            raise self._connect_error
        if self._client is not None and not self._client.is_connected:
            await self._drop()
        if self._client is None:
            client = self._new_client()
            try:
                await client.connect()
            except aiosmtplib.SMTPConnectError as exc:
                self._connect_error = exc
                raise
            self._client = client
        return self._client

    async def send_mail(self, mail: OutgoingMail) -> None:
        if not self._batching:
            async with self._new_client() as client:
                await _envelope(client, mail)
                await _content(client, mail)
            return
        client = await self._connected()
        try:
            try:
                await _envelope(client, mail)
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPSenderRefused, OSError) as exc:
                if not self._reused or (isinstance(exc, aiosmtplib.SMTPSenderRefused) and exc.code != 421):
                    raise
                # The server ended a connection we had used (421, or closed it) before this message began:
                # nothing of it went out, so it is safe to begin again on a new connection, once.
                await self._drop()
                client = await self._connected()
                await _envelope(client, mail)
            self._reused = True
            await _content(client, mail)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError):
            await self._drop()  # this message failed (retried later); the next one opens a new connection
            raise

    async def _drop(self) -> None:
        client, self._client, self._reused = self._client, None, False
        if client is not None:
            await _close(client)

    async def send(self, message: EmailMessage) -> None:
        sender = parseaddr(str(message["From"]))[1]
        mail = OutgoingMail(str(message["Message-ID"]), sender, parseaddr(str(message["To"]))[1], bytes(message))
        await self.send_mail(mail)


async def _envelope(client: aiosmtplib.SMTP, mail: OutgoingMail) -> None:
    """MAIL FROM: the step before which nothing of the message has gone out."""
    utf8 = mail.needs_smtputf8
    await client.mail(mail.sender, options=["SMTPUTF8"] if utf8 else [], encoding="utf-8" if utf8 else "ascii")


async def _content(client: aiosmtplib.SMTP, mail: OutgoingMail) -> None:
    """RCPT TO and DATA; a refusal resets the envelope so the connection serves the next message."""
    try:
        await client.rcpt(mail.to, encoding="utf-8" if mail.needs_smtputf8 else "ascii")
        await client.data(mail.data)
    except aiosmtplib.SMTPRecipientRefused as exc:
        await _reset(client)
        raise aiosmtplib.SMTPRecipientsRefused([exc]) from exc
    except aiosmtplib.SMTPResponseException:
        await _reset(client)
        raise


async def _reset(client: aiosmtplib.SMTP) -> None:
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely if the connection still stands; a dead one is just dropped."""
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


class FolderSender:
    """Development: every mail becomes a .eml file you can open, plus one line in the log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send_mail(self, mail: OutgoingMail) -> None:
        name = re.sub(r"[^A-Za-z0-9]+", "-", mail.message_id or str(uuid4())).strip("-")
        path = self.folder / f"{name}.eml"

        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(mail.data)

        await anyio.to_thread.run_sync(write)
        logger.info("mail to %s: %s", mail.to, path)

    async def send(self, message: EmailMessage) -> None:
        mail = OutgoingMail(str(message["Message-ID"]), str(message["From"]), str(message["To"]), bytes(message))
        await self.send_mail(mail)


def sender_for(settings: Settings) -> MailSender:
    return SmtpSender(settings) if settings.smtp_host else FolderSender(settings.data_dir / "mail")


def _one_line(text: str) -> str:
    """Header values never carry line breaks (an organizer's event name must not add headers)."""
    return " ".join(text.split())


def json_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as stored: UUIDs, instants and days become JSON strings now, not at send time."""
    return cast(dict[str, Any], msgspec.json.decode(msgspec.json.encode(context)))


def _values(
    *,
    dedupe_key: str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    attachments: Sequence[str],
    due_at: dt.datetime | None = None,
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
        "next_attempt_at": due_at or now,
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


@dataclass(frozen=True, slots=True)
class Mail:
    """One message to enqueue (``enqueue``'s arguments), for writing several in one statement."""

    dedupe_key: str
    to: str
    template: str
    context: Mapping[str, Any]
    attachments: Sequence[str] = ()


async def enqueue_all(db_session: AsyncSession, mails: Sequence[Mail]) -> None:
    """``enqueue`` for several messages of one change, in one statement (a duplicate key skipped).

    The rows go as parameters of one prebuilt INSERT (SQLAlchemy sends them as one multi-row statement), so
    it is compiled once per process, where values written into the statement are compiled on every call."""
    if not mails:
        return
    dialect = db_session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        _values(dedupe_key=m.dedupe_key, to=m.to, template=m.template, context=m.context, attachments=m.attachments)
        for m in mails
    ]
    await db_session.execute(insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)
    kick_after_commit(db_session, SEND_MAIL_JOB)


def outbox_row(
    *,
    dedupe_key: str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    attachments: Sequence[str] = (),
    due_at: dt.datetime | None = None,
) -> OutboxMessage:
    """A message as an ORM object, for a writer that inserts rows itself (``order_write``): only for a
    dedupe key nobody else can have written (it names a row created in the same statement). ``due_at``: not
    sent before then (default: at once)."""
    return OutboxMessage(
        **_values(
            dedupe_key=dedupe_key, to=to, template=template, context=context, attachments=attachments, due_at=due_at
        )
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


# Per template: does what each message says still hold? Registered by the modules that write such messages;
# asked once per drained batch (all of the template's messages at once), in the sender's read transaction.
StillTrue = Callable[[AsyncSession, Sequence[Mapping[str, Any]]], Awaitable[Sequence[bool]]]
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
    """Take up to ``batch`` due messages: one locking SELECT and one UPDATE pushing their lease, then commit."""
    await begin_write(db_session)
    rows = (
        await db_session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.to_address,
                OutboxMessage.template,
                OutboxMessage.context,
                OutboxMessage.subject,
                OutboxMessage.body_text,
                OutboxMessage.attachments,
                OutboxMessage.attempts,
            )
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    lease_until = now + CLAIM_LEASE
    if rows:
        await db_session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in rows]))
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
    await db_session.commit()
    return [
        _Claimed(r.id, r.to_address, r.template, dict(r.context), r.subject, r.body_text, tuple(r.attachments),
                 r.attempts, lease_until)
        for r in rows
    ]  # fmt: skip


async def _links(db_session: AsyncSession, settings: Settings, bodies: Sequence[str]) -> dict[UUID, str]:
    """The secret links the messages mention without a version, made now from the app's key (never stored in
    the outbox); versioned ones need no lookup (``_fill``). One query per kind of link for a whole batch."""
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


# Drawing one attachment: a pure function, run off the event loop (a batch's all in one worker-thread call).
Draw = Callable[[], Attachment]
# Attachments by kind (``"receipt:<order id>"`` here, ``"badge:<registration id>"`` from badges, which
# registration can't import, so it registers at import). A renderer gets every argument of its kind in a
# batch, reads what it needs in one go, and answers per argument the drawing to run or the error that stops it.
AttachmentRenderer = Callable[[AsyncSession, Settings, Sequence[str]], Awaitable[Mapping[str, Draw | Exception]]]
ATTACHMENT_RENDERERS: dict[str, AttachmentRenderer] = {}


async def receipt_attachments(
    db_session: AsyncSession, _settings: Settings, arguments: Sequence[str]
) -> dict[str, Draw | Exception]:
    """Each order's current receipt, numbered first if the payment's own numbering hasn't run yet (it runs
    right after commit, so rarely)."""
    wanted: dict[str, UUID] = {}
    answers: dict[str, Draw | Exception] = {}
    for argument in arguments:
        try:
            wanted[argument] = UUID(argument)
        except ValueError:
            answers[argument] = AttachmentError(f"no order {argument}")
    if not wanted:
        return answers
    order_ids = set(wanted.values())
    pending = await db_session.scalars(
        select(Document.event_id).where(Document.order_id.in_(order_ids), Document.number.is_(None)).distinct()
    )
    for event_id in pending.all():
        await documents.issue_pending_documents(db_session, event_id)
    by_order: dict[UUID, list[Document]] = {}
    for document in await documents.documents_of_orders(db_session, order_ids):
        by_order.setdefault(document.order_id, []).append(document)
    event_ids = {d.event_id for found in by_order.values() for d in found}
    events = {e.id: e for e in (await db_session.scalars(select(Event).where(Event.id.in_(event_ids)))).all()}
    for argument, order_id in wanted.items():
        receipt = documents.current_receipt(by_order.get(order_id, []))
        if receipt is None:
            answers[argument] = AttachmentError(f"order {argument} has no receipt")
            continue
        answers[argument] = partial(_draw_document, *documents.document_drawing(receipt, events[receipt.event_id]))
    return answers


def _draw_document(draw: Callable[[], bytes], filename: str) -> Attachment:
    return Attachment(draw(), filename)


ATTACHMENT_RENDERERS["receipt"] = receipt_attachments


async def _attachment_drawings(
    db_session: AsyncSession, settings: Settings, specs: set[str]
) -> dict[str, Draw | Exception]:
    by_kind: dict[str, list[str]] = {}
    drawings: dict[str, Draw | Exception] = {}
    for spec in specs:
        kind, _, argument = spec.partition(":")
        if kind in ATTACHMENT_RENDERERS:
            by_kind.setdefault(kind, []).append(argument)
        else:
            drawings[spec] = AttachmentError(f"unknown attachment {spec!r}")
    for kind, arguments in by_kind.items():
        answers = await ATTACHMENT_RENDERERS[kind](db_session, settings, arguments)
        drawings |= {f"{kind}:{argument}": answer for argument, answer in answers.items()}
    return drawings


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

    body = body.replace(BASE_URL_PLACEHOLDER, shown(settings.base_url))
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


async def _superseded(db_session: AsyncSession, claimed: Sequence[_Claimed]) -> set[UUID]:
    """The messages whose news stopped being true, asked per template for the whole batch."""
    by_template: dict[str, list[_Claimed]] = {}
    for item in claimed:
        if item.template in STILL_TRUE:
            by_template.setdefault(item.template, []).append(item)
    stale: set[UUID] = set()
    for template, items in by_template.items():
        verdicts = await STILL_TRUE[template](db_session, [item.context for item in items])
        stale |= {item.id for item, true in zip(items, verdicts, strict=True) if not true}
    return stale


@dataclass(slots=True)
class _Draft:
    """A message rendered, its links filled, waiting for its attachments to be drawn."""

    item: _Claimed
    subject: str
    text: str
    html: str
    attachments: list[Draw]


def _finish(settings: Settings, draft: _Draft) -> OutgoingMail:
    """Draw the attachments and write the message's bytes (in a worker thread: both are CPU only)."""
    # Stable per outbox row, so a message sent twice after a crash is recognisably the same one.
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "podium.invalid"
    return compose_mime(
        sender=settings.mail_from,
        to=draft.item.to,
        subject=draft.subject,
        message_id=f"<{draft.item.id}@{domain}>",
        text=draft.text,
        html=draft.html,
        attachments=[draw() for draw in draft.attachments],
    )


def _finish_all(settings: Settings, drafts: Sequence[_Draft]) -> list[OutgoingMail | Exception]:
    results: list[OutgoingMail | Exception] = []
    for draft in drafts:
        try:
            results.append(_finish(settings, draft))
        except Exception as exc:  # one broken drawing fails its own message only
            results.append(exc)
    return results


async def _drafts(
    db_session: AsyncSession, settings: Settings, items: Sequence[_Claimed]
) -> tuple[list[_Draft], dict[UUID, Exception]]:
    """Render a batch: wording, links and attachment data each read once for all of it."""
    wordings = await wordings_for(db_session, {e for e in (_event_id(item.context) for item in items) if e})
    failed: dict[UUID, Exception] = {}
    rendered: list[tuple[_Claimed, RenderedMail]] = []
    for item in items:
        try:
            if item.template:
                rendered.append((item, await render_message(db_session, item.template, item.context, wordings)))
            else:  # written before templates: its text was stored
                rendered.append((item, RenderedMail(item.subject, item.body, "")))
        except Exception as exc:  # a template that fails to render fails its own message only
            failed[item.id] = exc
    links = await _links(db_session, settings, [body for _, mail in rendered for body in (mail.text, mail.html)])
    drawings = await _attachment_drawings(db_session, settings, {s for item, _ in rendered for s in item.attachments})
    drafts: list[_Draft] = []
    for item, mail in rendered:
        draws = [drawings[spec] for spec in item.attachments]
        error = next((d for d in draws if isinstance(d, Exception)), None)
        if error is not None:
            failed[item.id] = error
            continue
        html = _fill(mail.html, links, settings, html=True) if mail.html else ""
        drafts.append(_Draft(item, mail.subject, _fill(mail.text, links, settings), html, cast(list[Draw], draws)))
    return drafts, failed


def _permanent(exc: Exception) -> bool:
    """Every recipient refused with a 5xx: retrying won't help. Other 5xx (say, a wrong SMTP password)
    are the server's or our configuration's fault and heal, so those are retried."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    return False


async def _record(db_session: AsyncSession, items: Sequence[_Claimed], **values: object) -> None:
    """One UPDATE for messages with the same outcome; it only matches rows whose lease (ours) still stands."""
    if not items:
        return
    await begin_write(db_session)
    result = await db_session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([item.id for item in items]),
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at == items[0].lease_until,
        )
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await db_session.commit()
    lost = len(items) - cast(CursorResult[Any], result).rowcount
    if lost:
        logger.warning("outbox: %d of %d messages lost their lease before their result was recorded", lost, len(items))


async def _record_failure(db_session: AsyncSession, item: _Claimed, exc: Exception, now: dt.datetime) -> None:
    attempts = item.attempts + 1
    give_up = attempts >= MAX_ATTEMPTS or _permanent(exc)
    logger.warning("mail to %s failed (attempt %d): %s", item.to, attempts, exc)
    await _record(
        db_session,
        [item],
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=now + dt.timedelta(minutes=min(60, 2**attempts)),
        status="failed" if give_up else "pending",
    )


def _batch(sender: MailSender) -> AbstractAsyncContextManager[None]:
    batch = getattr(sender, "batch", None)
    return cast(AbstractAsyncContextManager[None], batch()) if batch is not None else nullcontext()


async def _deliver(sender: MailSender, mail: OutgoingMail) -> None:
    send_mail = getattr(sender, "send_mail", None)
    if send_mail is not None:
        await send_mail(mail)
    else:
        await sender.send(mail.as_message())


# Results of sent messages are recorded at least this often within a batch, so a crash resends little.
RECORD_EVERY = 20


async def drain_outbox(
    db_session: AsyncSession,
    sender: MailSender,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    batch: int = 50,
) -> int:
    """Send the due messages and return how many went out; failures are retried with exponential
    backoff (2, 4, 8 … minutes, at most an hour) and given up after MAX_ATTEMPTS.

    A batch is read, rendered and drawn together (a few queries and one worker-thread call for all of it), sent
    over one SMTP connection, and its results recorded with one UPDATE per outcome (every RECORD_EVERY sent)."""
    now = now or utcnow()
    claimed = await _claim(db_session, now, batch)
    if not claimed:
        return 0
    deadline = time.monotonic() + CLAIM_LEASE.total_seconds() - 2 * SMTP_TIMEOUT_SECONDS
    try:
        stale = await _superseded(db_session, claimed)
        live = [item for item in claimed if item.id not in stale]
        drafts, failed = await _drafts(db_session, settings, live)
        await end_reads(db_session)  # no transaction stays open while drawing PDFs and talking to the mail server
    except Exception as exc:  # the batch's reads failed (a database hiccup): each message is retried later
        await db_session.rollback()
        for item in claimed:
            await _record_failure(db_session, item, exc, now)
        return 0
    await _record(db_session, [item for item in claimed if item.id in stale], status="superseded")
    for item in live:
        if item.id in failed:
            await _record_failure(db_session, item, failed[item.id], now)
    mails = await anyio.to_thread.run_sync(_finish_all, settings, drafts)
    sent: list[_Claimed] = []
    done = 0
    async with _batch(sender):
        for draft, mail in zip(drafts, mails, strict=True):
            if time.monotonic() > deadline:  # the rest stay claimed and come due when the lease ends
                break
            try:
                if isinstance(mail, Exception):
                    raise mail
                await _deliver(sender, mail)
            except Exception as exc:  # any failure of one message (mail server, drawing) must not stop the rest
                await _record_failure(db_session, draft.item, exc, now)
                continue
            sent.append(draft.item)
            if len(sent) - done >= RECORD_EVERY:
                await _record(db_session, sent[done:], status="sent", sent_at=now, attempts=OutboxMessage.attempts + 1)
                done = len(sent)
    await _record(db_session, sent[done:], status="sent", sent_at=now, attempts=OutboxMessage.attempts + 1)
    return len(sent)
