"""An order paid by bank transfer as its buyer and the organizers see it (API and pages alike)."""

from __future__ import annotations

from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.formatting import in_fours
from registration.bank.payments import bank_money
from registration.bank.schemas import BankTransferRead
from registration.bank.settings import bank_details, settings_for
from registration.models import Order

Status = Literal["pending", "paid", "expired", "cancelled"]


async def bank_transfer_read(db_session: AsyncSession, order: Order) -> BankTransferRead:
    """The reference is empty for an order that never chose transfer (money marked for it all the same)."""
    event = await db_session.get(Event, order.event_id)
    assert event is not None
    received, excess = await bank_money(db_session, order)
    due = 0 if order.status != "pending" else max(0, order.total - received)
    return BankTransferRead(
        order_id=order.id,
        status=cast(Status, order.status),
        reference=order.payment_reference or "",
        reference_printed=in_fours(order.payment_reference or ""),
        due_at=order.payment_due_at,
        currency=order.currency,
        total=order.total,
        received=received,
        amount_due=due,
        excess=excess,
        bank=bank_details(await settings_for(db_session, event)),
    )
