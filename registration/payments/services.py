"""The offline test provider, and the choice between it and Stripe (the interface is ``payment_provider``).

A provider tells the buyer what to do next for an order (and, for cards, creates what the page confirms
with); what a payment *does* to an order lives in ``payment_outcomes`` so the seat and audit rules are
the same whatever the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import Order
from registration.payments.provider import PaymentProvider, ProviderName, settled_payment
from registration.payments.stripe import StripeProvider
from registration.schemas import PaymentRead

if TYPE_CHECKING:
    from podium.settings import Settings

OFFLINE_INSTRUCTIONS = (
    "TEST MODE - offline test provider: no card is charged and no money moves. Confirm the payment on the "
    "order page (or POST /api/orders/{order_id}/offline-payment with the order's secret)."
)


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
        return StripeProvider.for_settings(settings)
    return OfflineTestProvider()
