"""Who sells (per event) and who is billed (per order): the details receipts and credit notes print.

Billing details may change at any time: before the receipt is issued they simply go on it; after, the change
issues a credit note and a new receipt (``documents.record_documents``). Seller details apply to documents
recorded from then on; an issued document keeps the seller it was issued with.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium import audit
from podium.db import begin_write, savepoint
from podium.errors import Conflict
from podium.i18n import N_
from registration.documents.schemas import BillingIn, BillingRead, SellerIn, SellerRead
from registration.documents.services import record_documents
from registration.models import BillingDetails, Order, SellerDetails

_BILLING_FIELDS = ("organization", "address", "country", "tax_id", "po_number")
_SELLER_FIELDS = ("legal_name", "address", "tax_id", "footer")


def _billing_read(row: BillingDetails | None) -> BillingRead:
    if row is None:
        return BillingRead()
    return BillingRead(
        organization=row.organization,
        address=row.address,
        country=row.country,
        tax_id=row.tax_id,
        po_number=row.po_number,
    )


async def get_billing(db_session: AsyncSession, order: Order) -> BillingRead:
    return _billing_read(await db_session.scalar(select(BillingDetails).where(BillingDetails.order_id == order.id)))


async def set_billing(db_session: AsyncSession, order: Order, data: BillingIn, *, actor: str) -> BillingRead:
    """Store the order's billing details and record the documents that follows from it (never commits)."""
    await begin_write(db_session)
    row = await db_session.scalar(select(BillingDetails).where(BillingDetails.order_id == order.id).with_for_update())
    before = audit.snapshot(row, _BILLING_FIELDS) if row is not None else {}
    # Two first saves at once: the other one's row stands; retry.
    retry = Conflict(N_("billing details were saved at the same time; retry"), field="order", code="retry")
    async with savepoint(db_session, retry):
        if row is None:
            row = BillingDetails(order_id=order.id)
            db_session.add(row)
        row.organization = data.organization.strip()
        row.address = data.address.strip()
        row.country = data.country
        row.tax_id = data.tax_id.strip()
        row.po_number = data.po_number.strip()
    after = audit.snapshot(row, _BILLING_FIELDS)
    audit.record_updated(
        db_session, "order", order.id, before, after, actor, event_id=order.event_id, action="billing_changed"
    )
    await record_documents(db_session, order, reason="billing details changed")
    return _billing_read(row)


def _seller_read(row: SellerDetails | None) -> SellerRead:
    if row is None:
        return SellerRead()
    return SellerRead(legal_name=row.legal_name, address=row.address, tax_id=row.tax_id, footer=row.footer)


async def get_seller(db_session: AsyncSession, event_slug: str) -> SellerRead:
    event = await get_event(db_session, event_slug, with_children=False)
    return _seller_read(await db_session.scalar(select(SellerDetails).where(SellerDetails.event_id == event.id)))


async def set_seller(
    db_session: AsyncSession, event_slug: str, data: SellerIn, *, actor: audit.Actor | str
) -> SellerRead:
    """The event's seller details, for documents recorded from now on (never commits)."""
    await begin_write(db_session)
    event = await get_event(db_session, event_slug, with_children=False)
    row = await db_session.scalar(select(SellerDetails).where(SellerDetails.event_id == event.id).with_for_update())
    before = audit.snapshot(row, _SELLER_FIELDS) if row is not None else {}
    retry = Conflict(N_("seller details were saved at the same time; retry"), field="event", code="retry")
    async with savepoint(db_session, retry):
        if row is None:
            row = SellerDetails(event_id=event.id)
            db_session.add(row)
        row.legal_name = data.legal_name.strip()
        row.address = data.address.strip()
        row.tax_id = data.tax_id.strip()
        row.footer = data.footer.strip()
    after = audit.snapshot(row, _SELLER_FIELDS)
    audit.record_updated(db_session, "seller_details", row.id, before, after, actor, event_id=event.id)
    return _seller_read(row)
