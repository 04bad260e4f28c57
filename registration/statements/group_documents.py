"""Gathering a group invoice's paper: the same invoice an order paying by bank transfer gets
(``registration.bank.invoice_pdf``), billed to the institution, one line per order it pays for, in the language
chosen for it; read here, drawn off the event loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import end_reads
from podium.formatting import in_fours
from podium.i18n import gettext, using_locale
from podium.jobs.outbox_drain import AttachmentError, AttachmentRenderer, Draw
from podium.mail import Attachment
from podium.settings import Settings
from registration.bank.invoice_pdf import InvoiceSheet, render_invoice
from registration.bank.settings import bank_details, settings_for
from registration.documents.receipts import Buyer, Line, event_dates
from registration.documents.services import seller_of
from registration.models import GroupInvoice, GroupInvoiceOrder, GroupInvoiceStatus, Order, Registration, SellerDetails
from registration.orders.group_shares import ATTACHMENT
from registration.statements.groups import group_of


async def group_invoice_pdf(db_session: AsyncSession, event: Event, group_id: UUID) -> tuple[bytes, str]:
    group = await group_of(db_session, event, group_id)
    with using_locale(group.locale):
        sheet = await _sheet(db_session, event, group)
    await end_reads(db_session)
    content = await anyio.to_thread.run_sync(render_invoice, sheet)
    return content, _filename(group)


def _filename(group: GroupInvoice) -> str:
    return f"invoice-{group.payment_reference}.pdf"


async def group_invoice_attachments(
    db_session: AsyncSession, _settings: Settings, arguments: Sequence[str]
) -> dict[str, Draw | Exception]:
    """Each open invoice as it stands when the mail goes out (``orders.group_shares`` mails the revised one to its
    contact), in its language: read now, drawn by the sender off the event loop."""
    answers: dict[str, Draw | Exception] = {}
    for argument in arguments:
        try:
            group = await db_session.get(GroupInvoice, UUID(argument))
        except ValueError:
            group = None
        event = None if group is None else await db_session.get(Event, group.event_id)
        if group is None or event is None or group.status != GroupInvoiceStatus.OPEN:
            answers[argument] = AttachmentError(f"no open group invoice {argument}")
            continue
        with using_locale(group.locale):
            sheet = await _sheet(db_session, event, group)
        answers[argument] = partial(_attach, sheet, _filename(group))
    return answers


def _attach(sheet: InvoiceSheet, filename: str) -> Attachment:
    return Attachment(render_invoice(sheet), filename)


async def _sheet(db_session: AsyncSession, event: Event, group: GroupInvoice) -> InvoiceSheet:
    shares = (
        await db_session.scalars(
            select(GroupInvoiceOrder)
            .where(GroupInvoiceOrder.group_invoice_id == group.id)
            .order_by(GroupInvoiceOrder.order_id)
        )
    ).all()
    ids = [share.order_id for share in shares]
    orders = {order.id: order for order in (await db_session.scalars(select(Order).where(Order.id.in_(ids)))).all()}
    names: dict[UUID, list[str]] = {}
    for registration in (
        await db_session.scalars(
            select(Registration).where(Registration.order_id.in_(ids)).order_by(Registration.position)
        )
    ).all():
        names.setdefault(registration.order_id, []).append(f"{registration.first_name} {registration.last_name}")
    seller, footer = seller_of(await db_session.scalar(select(SellerDetails).where(SellerDetails.event_id == event.id)))
    rules = await settings_for(db_session, event)
    zone = ZoneInfo(event.timezone)
    return InvoiceSheet(
        event_name=event.name,
        event_dates=event_dates(event),
        seller=seller,
        footer=footer,
        buyer=Buyer(
            name=group.organization,
            email=group.contact_email,
            organization=group.organization,
            address=group.address,
            country=group.country,
            tax_id=group.tax_id,
            po_number=group.po_number,
        ),
        currency=group.currency,
        lines=[
            Line(
                description=gettext("%(attendees)s (order %(order)s)")
                % {
                    "attendees": ", ".join(names.get(share.order_id, [])) or orders[share.order_id].buyer_name,
                    "order": str(share.order_id)[:8],
                },
                amount=share.amount,
            )
            for share in shares
        ],
        total=group.total,
        received=0,  # a group invoice is paid whole, by one transfer quoting its reference
        reference=in_fours(group.payment_reference),
        due_on=group.payment_due_at.astimezone(zone).date(),
        issued_on=group.created_at.astimezone(zone).date(),
        bank=bank_details(rules),
        locale=group.locale,
    )


# Installed into the outbox's registry by the composition root (``podium.main.mail_wiring``).
MAIL_ATTACHMENTS: Mapping[str, AttachmentRenderer] = {ATTACHMENT: group_invoice_attachments}
