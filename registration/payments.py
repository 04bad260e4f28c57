"""The payment provider interface, the offline test provider, and the choice between it and Stripe.

A provider tells the buyer what to do next for an order (and, for cards, creates what the page confirms
with); what a payment *does* to an order lives in ``payment_outcomes`` so the seat and audit rules are
the same whatever the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import Order, OrderStatus
from registration.schemas import PaymentRead

if TYPE_CHECKING:
    from podium.settings import Settings

ProviderName = Literal["none", "offline", "stripe"]
_PROVIDER_NAMES: dict[str, ProviderName] = {"none": "none", "offline": "offline", "stripe": "stripe"}
_SETTLED: dict[str, Literal["paid", "expired", "cancelled"]] = {
    OrderStatus.PAID: "paid",
    OrderStatus.EXPIRED: "expired",
    OrderStatus.CANCELLED: "cancelled",
}

OFFLINE_INSTRUCTIONS = (
    "TEST MODE - offline test provider: no card is charged and no money moves. Confirm the payment on the "
    "order page (or POST /api/orders/{order_id}/offline-payment with the order's secret)."
)


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
    return None


class OfflineTestProvider:
    """Marks orders paid on request. Clearly labelled, and refused when Podium runs in production."""

    name: ProviderName = "offline"
    test_mode = True

    async def payment_for(self, db_session: AsyncSession, order: Order) -> PaymentRead:
        settled = settled_payment(order, test_mode=True)
        if settled is not None:
            return settled
        return PaymentRead(
            provider="offline",
            status="required",
            test_mode=True,
            instructions=OFFLINE_INSTRUCTIONS.format(order_id=order.id),
        )


def provider_for(settings: Settings) -> PaymentProvider:
    """Stripe when a secret key is configured; otherwise the offline test provider."""
    if settings.stripe_secret_key:
        from registration.stripe_provider import StripeProvider

        return StripeProvider.for_settings(settings)
    return OfflineTestProvider()
