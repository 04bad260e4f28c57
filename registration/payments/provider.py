"""What every payment provider is and reports alike: the interface, its names, and the answer for an order
with nothing left to pay. Its own module so the providers (``payments``' offline one, ``stripe_provider``)
and the choice between them (``payments.provider_for``) import it without importing each other."""

from __future__ import annotations

from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import Order, OrderStatus
from registration.schemas import PaymentRead

ProviderName = Literal["none", "offline", "stripe", "bank_transfer"]
_PROVIDER_NAMES: dict[str, ProviderName] = {
    "none": "none",
    "offline": "offline",
    "stripe": "stripe",
    "bank_transfer": "bank_transfer",
}
BANK_TRANSFER_INSTRUCTIONS = (
    "Pay by bank transfer, quoting the payment reference, by the due date: the bank details, reference and "
    "amount due are at GET /api/orders/{order_id}/bank-transfer and on the order page."
)
_SETTLED: dict[str, Literal["paid", "expired", "cancelled"]] = {
    OrderStatus.PAID: "paid",
    OrderStatus.EXPIRED: "expired",
    OrderStatus.CANCELLED: "cancelled",
}


class PaymentProvider(Protocol):
    name: ProviderName
    test_mode: bool

    async def payment_for(self, db_session: AsyncSession, order: Order) -> PaymentRead:
        """What the buyer does next; may create the provider's side of the payment (and commit its id)."""
        ...


def settled_payment(order: Order, *, test_mode: bool) -> PaymentRead | None:
    """What every provider reports alike: nothing to pay, or an order that is no longer pending."""
    provider = _PROVIDER_NAMES.get(order.payment_provider, "none")
    if order.total == 0:
        return PaymentRead(provider="none", status="not_required")
    if order.status in _SETTLED:
        return PaymentRead(provider=provider, status=_SETTLED[order.status], test_mode=test_mode)
    if provider == "bank_transfer":  # chosen by the buyer (``registration.bank``): no card form, whichever provider
        instructions = BANK_TRANSFER_INSTRUCTIONS.format(order_id=order.id)
        return PaymentRead(provider=provider, status="required", instructions=instructions)
    return None
