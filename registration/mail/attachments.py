"""Registration's side of the mail outbox (``podium.outbox`` writes messages, ``podium.jobs.outbox_drain`` sends
them): how a stored message reads when it is sent, and the receipts it attaches.

A message is rendered from its template with the event's own wording as it is then (``MailWording``), and the
links with secrets are filled in only now, from the app's key: they are never stored in the outbox. Every
domain's mail goes through this renderer, since the wording and the links belong to registration.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from html import escape
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.jobs.outbox_drain import AttachmentError, AttachmentRenderer, Claimed, Draw
from podium.jobs.outbox_drain import drain_outbox as drain_with
from podium.mail import BASE_URL_PLACEHOLDER, Attachment, RenderedMail, Wording, install_into, render_mail
from podium.mail_senders import MailSender
from podium.settings import Settings
from registration.documents import numbers as document_numbers
from registration.documents import services as documents
from registration.links.tokens import order_url, registration_url, waitlist_url
from registration.models import Document, MailWording, Order, Registration, WaitlistEntry

# Order links carry a secret derived from the app's key, so they are filled in when the mail is sent: with the
# link's current version, or with the version the placeholder names (``{registration_link:<id>:<version>}``), so
# a mail written for one holder never carries a link made later for someone else (after a transfer).
ORDER_LINK = re.compile(r"\{order_link:([0-9a-f-]{36})(?::([0-9]+))?\}")
WAITLIST_LINK = re.compile(r"\{waitlist_link:([0-9a-f-]{36})\}")
REGISTRATION_LINK = re.compile(r"\{registration_link:([0-9a-f-]{36})(?::([0-9]+))?\}")
# Links of later domains (``{<kind>_link:<id>}``, an HMAC of the id: nothing to look up), made by the makers the
# composition root installs (``install_link_makers``): registration renders every domain's mail, importing none.
LinkMaker = Callable[[Settings, UUID], str]
LINK_MAKERS: dict[str, LinkMaker] = {}
OTHER_LINK = re.compile(r"\{([a-z]+)_link:([0-9a-f-]{36})\}")


def install_link_makers(makers: Mapping[str, LinkMaker]) -> None:
    install_into(LINK_MAKERS, makers, kind="link maker")


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


async def receipt_attachments(
    db_session: AsyncSession, _settings: Settings, arguments: Sequence[str]
) -> dict[str, Draw | Exception]:
    """Each order's current receipt, numbered first if the payment's own numbering hasn't run yet (it runs
    right after commit, so rarely). The numbers are taken in the drain's transaction, which the drain commits
    as soon as the batch is read, before anything is drawn or sent."""
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
        await document_numbers.issue_pending_documents(db_session, event_id)
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


# The attachments registration draws (``receipt:<order id>``), installed into the outbox's ``ATTACHMENT_RENDERERS``
# by the composition root (``podium.main``), never by importing this module.
MAIL_ATTACHMENTS: Mapping[str, AttachmentRenderer] = {"receipt": receipt_attachments}


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
    body = REGISTRATION_LINK.sub(versioned(registration_url), body)

    def other(found: re.Match[str]) -> str:
        maker = LINK_MAKERS.get(found.group(1))
        return shown(maker(settings, UUID(found.group(2)))) if maker else found.group(0)

    return OTHER_LINK.sub(other, body)


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


async def render_batch(
    db_session: AsyncSession, settings: Settings, items: Sequence[Claimed]
) -> dict[UUID, RenderedMail | Exception]:
    """The outbox's ``Renderer``: a claimed batch as it reads now, wording and links each read once for all
    of it; a message whose template fails to render fails alone."""
    wordings = await wordings_for(db_session, {e for e in (_event_id(item.context) for item in items) if e})
    answers: dict[UUID, RenderedMail | Exception] = {}
    rendered: list[tuple[Claimed, RenderedMail]] = []
    for item in items:
        try:
            if item.template:
                rendered.append((item, await render_message(db_session, item.template, item.context, wordings)))
            else:  # written before templates: its text was stored
                rendered.append((item, RenderedMail(item.subject, item.body, "")))
        except Exception as exc:  # a template that fails to render fails its own message only
            answers[item.id] = exc
    links = await _links(db_session, settings, [body for _, mail in rendered for body in (mail.text, mail.html)])
    for item, mail in rendered:
        html = _fill(mail.html, links, settings, html=True) if mail.html else ""
        answers[item.id] = RenderedMail(mail.subject, _fill(mail.text, links, settings), html)
    return answers


async def drain_outbox(
    db_session: AsyncSession,
    sender: MailSender,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    batch: int = 50,
) -> int:
    """Send the due messages, rendered by ``render_batch`` (``podium.jobs.outbox_drain.drain_outbox`` says how), and
    return how many went out."""
    return await drain_with(db_session, sender, settings, render_batch, now=now, batch=batch)
