"""The mail outbox, sending side: the job that drains due messages (``podium.outbox`` writes them).

Draining is three short steps so no database lock is held while talking to a mail server: claim a batch
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) by pushing its ``next_attempt_at`` a
lease into the future and committing; send; then record each result with an UPDATE that only matches
while our lease stands. So two workers never send the same message, and a message is marked sent once.
A crash between the SMTP answer and that UPDATE sends it again after the lease: delivery is at least once,
with a stable Message-ID so mail clients can fold the duplicate.

What a message reads like is the domains' business, handed in as a ``Renderer`` (registration's renders the
templates with the event's wording and fills in the secret links). Before sending, a message whose template has
a check in ``STILL_TRUE`` is asked whether what it says still holds (a hold reminder for an order paid
meanwhile): if not, it is marked ``superseded`` and never sent. Attachments are drawn at send time by the
renderer installed for their kind in ``ATTACHMENT_RENDERERS``. Both registries are empty until the composition
root installs what the domains declare (``podium.main``): importing a domain fills nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, cast
from uuid import UUID

import aiosmtplib
import anyio
from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write, utcnow
from podium.mail import Attachment, OutgoingMail, RenderedMail, compose_mime, install_into
from podium.mail_senders import SMTP_TIMEOUT_SECONDS, MailSender
from podium.outbox_models import MailStatus, OutboxMessage
from podium.settings import Settings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a claimed batch is ours; sending stops early enough that the last send ends inside it.
CLAIM_LEASE = dt.timedelta(minutes=10)


# Per template: does what each message says still hold? Declared by the modules that write such messages
# (``STILL_TRUE_CHECKS``), installed by the composition root (``install_still_true``); asked once per drained batch
# (all of the template's messages at once), in the sender's read transaction.
StillTrue = Callable[[AsyncSession, Sequence[Mapping[str, Any]]], Awaitable[Sequence[bool]]]
STILL_TRUE: dict[str, StillTrue] = {}


def install_still_true(checks: Mapping[str, StillTrue]) -> None:
    install_into(STILL_TRUE, checks, kind="still-true check")


@dataclass(frozen=True)
class Claimed:
    """A message claimed by this worker, copied out of the session so sending needs no transaction (and what a
    ``Renderer`` is given to read)."""

    id: UUID
    to: str
    template: str
    context: dict[str, Any]
    subject: str
    body: str
    attachments: tuple[str, ...]
    attempts: int
    lease_until: dt.datetime


async def _claim(db_session: AsyncSession, now: dt.datetime, batch: int) -> list[Claimed]:
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
            .where(OutboxMessage.status == MailStatus.PENDING, OutboxMessage.next_attempt_at <= now)
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
        Claimed(r.id, r.to_address, r.template, dict(r.context), r.subject, r.body_text, tuple(r.attachments),
                r.attempts, lease_until)
        for r in rows
    ]  # fmt: skip


class AttachmentError(LookupError):
    """An attachment can't be made (unknown kind, or its order has no receipt); retried, then failed."""


# Drawing one attachment: a pure function, run off the event loop (a batch's all in one worker-thread call).
Draw = Callable[[], Attachment]
# Attachments by kind (``"receipt:<order id>"`` from registration, ``"badge:<registration id>"`` from badges),
# drawn by the domain that declares them and installed by the composition root (``install_attachment_renderers``).
# A renderer gets every argument of its kind in a batch, reads what it needs in one go, and answers per argument
# the drawing to run or the error that stops it.
AttachmentRenderer = Callable[[AsyncSession, Settings, Sequence[str]], Awaitable[Mapping[str, Draw | Exception]]]
ATTACHMENT_RENDERERS: dict[str, AttachmentRenderer] = {}


def install_attachment_renderers(renderers: Mapping[str, AttachmentRenderer]) -> None:
    """A batch's attachments are read kind by kind in the order their renderers were installed."""
    install_into(ATTACHMENT_RENDERERS, renderers, kind="attachment renderer")


# How a domain reads a claimed batch as mail: per message id, its subject, text and HTML with every placeholder
# filled in, or the error that fails that message (retried like a failed send).
Renderer = Callable[[AsyncSession, Settings, Sequence[Claimed]], Awaitable[Mapping[UUID, RenderedMail | Exception]]]


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
    # In the order installed, never the batch's: a renderer that takes row locks others wait on (the receipts'
    # numbering) is installed last, so the drain waits for nothing while it holds them (``install_mail``).
    for kind, renderer in ATTACHMENT_RENDERERS.items():
        if kind in by_kind:
            answers = await renderer(db_session, settings, by_kind[kind])
            drawings |= {f"{kind}:{argument}": answer for argument, answer in answers.items()}
    return drawings


async def _superseded(db_session: AsyncSession, claimed: Sequence[Claimed]) -> set[UUID]:
    """The messages whose news stopped being true, asked per template for the whole batch."""
    by_template: dict[str, list[Claimed]] = {}
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

    item: Claimed
    subject: str
    text: str
    html: str
    attachments: list[Draw]


def _finish(settings: Settings, draft: _Draft, domain: str) -> OutgoingMail:
    """Draw the attachments and write the message's bytes (in a worker thread: both are CPU only)."""
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
    # Message-IDs are stable per outbox row, so a message sent twice after a crash is recognisably the same one.
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "podium.invalid"
    for draft in drafts:
        try:
            results.append(_finish(settings, draft, domain))
        except Exception as exc:  # one broken drawing fails its own message only
            results.append(exc)
    return results


async def _drafts(
    db_session: AsyncSession, settings: Settings, render: Renderer, items: Sequence[Claimed]
) -> tuple[list[_Draft], dict[UUID, Exception]]:
    """Render a batch (the renderer reads what it needs once for all of it), then read its attachments' data."""
    rendered = await render(db_session, settings, items)
    failed: dict[UUID, Exception] = {}
    readable: list[tuple[Claimed, RenderedMail]] = []
    for item in items:
        mail = rendered[item.id]
        if isinstance(mail, Exception):
            failed[item.id] = mail
        else:
            readable.append((item, mail))
    drawings = await _attachment_drawings(db_session, settings, {s for item, _ in readable for s in item.attachments})
    drafts: list[_Draft] = []
    for item, mail in readable:
        draws = [drawings[spec] for spec in item.attachments]
        error = next((d for d in draws if isinstance(d, Exception)), None)
        if error is not None:
            failed[item.id] = error
            continue
        drafts.append(_Draft(item, mail.subject, mail.text, mail.html, cast(list[Draw], draws)))
    return drafts, failed


def _permanent(exc: Exception) -> bool:
    """Every recipient refused with a 5xx: retrying won't help. Other 5xx (say, a wrong SMTP password)
    are the server's or our configuration's fault and heal, so those are retried."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    return False


async def _record(db_session: AsyncSession, items: Sequence[Claimed], **values: object) -> None:
    """One UPDATE for messages with the same outcome; it only matches rows whose lease (ours) still stands."""
    if not items:
        return
    await begin_write(db_session)
    result = await db_session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([item.id for item in items]),
            OutboxMessage.status == MailStatus.PENDING,
            OutboxMessage.next_attempt_at == items[0].lease_until,
        )
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await db_session.commit()
    lost = len(items) - cast(CursorResult[Any], result).rowcount
    if lost:
        logger.warning("outbox: %d of %d messages lost their lease before their result was recorded", lost, len(items))


async def _record_failure(db_session: AsyncSession, item: Claimed, exc: Exception, now: dt.datetime) -> None:
    attempts = item.attempts + 1
    give_up = attempts >= MAX_ATTEMPTS or _permanent(exc)
    logger.warning("mail to %s failed (attempt %d): %s", item.to, attempts, exc)
    await _record(
        db_session,
        [item],
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=now + dt.timedelta(minutes=min(60, 2**attempts)),
        status=MailStatus.FAILED if give_up else MailStatus.PENDING,
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
    render: Renderer,
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
        drafts, failed = await _drafts(db_session, settings, render, live)
        # Rendering may have written (a receipt numbered for its attachment): commit that, so no transaction
        # stays open while drawing PDFs and talking to the mail server.
        await db_session.commit()
    except Exception as exc:  # the batch's reads failed (a database hiccup): each message is retried later
        await db_session.rollback()
        for item in claimed:
            await _record_failure(db_session, item, exc, now)
        return 0
    await _record(db_session, [item for item in claimed if item.id in stale], status=MailStatus.SUPERSEDED)
    for item in live:
        if item.id in failed:
            await _record_failure(db_session, item, failed[item.id], now)
    mails = await anyio.to_thread.run_sync(_finish_all, settings, drafts)
    sent: list[Claimed] = []
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
                await _record(
                    db_session, sent[done:], status=MailStatus.SENT, sent_at=now, attempts=OutboxMessage.attempts + 1
                )
                done = len(sent)
    await _record(db_session, sent[done:], status=MailStatus.SENT, sent_at=now, attempts=OutboxMessage.attempts + 1)
    return len(sent)
