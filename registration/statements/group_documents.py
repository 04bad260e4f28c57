"""Gathering a group invoice's paper: what it prints is read here, drawn off the event loop by ``group_pdf``."""

from __future__ import annotations

from uuid import UUID
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import end_reads
from registration.bank.references import printed
from registration.bank.settings import settings_for
from registration.documents.receipts import Buyer, Line, Seller, event_dates
from registration.models import GroupInvoice, GroupInvoiceOrder, Order, Registration, SellerDetails
from registration.statements.group_pdf import GroupInvoiceSheet, render_group_invoice
from registration.statements.groups import group_of


async def group_invoice_pdf(db_session: AsyncSession, event: Event, group_id: UUID) -> tuple[bytes, str]:
    group = await group_of(db_session, event, group_id)
    sheet = await _sheet(db_session, event, group)
    await end_reads(db_session)
    content = await anyio.to_thread.run_sync(render_group_invoice, sheet)
    return content, f"invoice-{group.payment_reference}.pdf"


async def _sheet(db_session: AsyncSession, event: Event, group: GroupInvoice) -> GroupInvoiceSheet:
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
    seller_row = await db_session.scalar(select(SellerDetails).where(SellerDetails.event_id == event.id))
    seller = (
        Seller(legal_name=seller_row.legal_name, address=seller_row.address, tax_id=seller_row.tax_id)
        if seller_row
        else Seller()
    )
    rules = await settings_for(db_session, event)
    bank = [
        rules.beneficiary,
        f"IBAN: {printed(rules.iban)}" if rules.iban else "",
        f"BIC: {rules.bic}" if rules.bic else "",
        rules.bank_name,
        *rules.bank_address.splitlines(),
        *rules.instructions.splitlines(),
    ]
    zone = ZoneInfo(event.timezone)
    return GroupInvoiceSheet(
        event_name=event.name,
        event_dates=event_dates(event),
        seller=seller,
        footer=seller_row.footer if seller_row else "",
        billed=Buyer(
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
                description=f"{', '.join(names.get(share.order_id, [])) or orders[share.order_id].buyer_name}"
                f" (order {str(share.order_id)[:8]})",
                amount=share.amount,
            )
            for share in shares
        ],
        total=group.total,
        reference=printed(group.payment_reference),
        due_on=group.payment_due_at.astimezone(zone).date(),
        issued_on=group.created_at.astimezone(zone).date(),
        bank=[line for line in bank if line],
    )

