"""Card payments through Stripe PaymentIntents (the official SDK's async ``StripeClient`` over httpx).

Not hosted Checkout: its sessions can't expire in under 30 minutes and our seat holds are shorter. One
PaymentIntent per order, created with the order id in its metadata and an idempotency key derived from
the order, so a retry can never create a second one; the page confirms it with Stripe.js and the signed
webhook (``registration.webhooks``) tells us the outcome.
"""

from __future__ import annotations

import functools

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from podium.settings import Settings
from registration.models import Order, OrderStatus
from registration.payments import ProviderName, settled_payment
from registration.schemas import PaymentRead


def refund_status(stripe_status: str | None) -> str:
    """Stripe's refund states folded into ours: only ``succeeded`` is money back; ``failed`` and
    ``canceled`` never will be; anything else (pending, requires_action) is still on its way."""
    if stripe_status == "succeeded":
        return "succeeded"
    if stripe_status in ("failed", "canceled"):
        return "failed"
    return "pending"


@functools.cache
def stripe_client(api_key: str, api_base: str, retries: int) -> stripe.StripeClient:
    """One client (and one httpx connection pool) per configuration and process."""
    return stripe.StripeClient(
        api_key,
        http_client=stripe.HTTPXClient(),
        base_addresses={"api": api_base} if api_base else {},
        max_network_retries=retries,
    )


class StripeProvider:
    name: ProviderName = "stripe"

    def __init__(self, client: stripe.StripeClient, publishable_key: str, *, test_mode: bool) -> None:
        self.client = client
        self.publishable_key = publishable_key
        self.test_mode = test_mode

    @classmethod
    def for_settings(cls, settings: Settings) -> StripeProvider:
        # Retries are safe: every create carries an idempotency key (a local test server may ignore them).
        retries = 0 if settings.stripe_api_base else 2
        client = stripe_client(settings.stripe_secret_key, settings.stripe_api_base, retries)
        return cls(client, settings.stripe_publishable_key, test_mode=settings.stripe_secret_key.startswith("sk_test_"))

    async def payment_for(self, db_session: AsyncSession, order: Order) -> PaymentRead:
        settled = settled_payment(order, test_mode=self.test_mode)
        if settled is not None:
            return settled
        try:
            intent = await self._intent(db_session, order)
        except stripe.StripeError:
            # The seats stay held; the order page retries. A Stripe outage is never a 500 for the buyer.
            return PaymentRead(
                provider="stripe",
                status="required",
                test_mode=self.test_mode,
                instructions="Card payments are unavailable for a moment; reload the order page to try again.",
            )
        return PaymentRead(
            provider="stripe",
            status="required",
            test_mode=self.test_mode,
            client_secret=intent.client_secret,
            publishable_key=self.publishable_key,
            instructions="Pay by card on the order page.",
        )

    async def _intent(self, db_session: AsyncSession, order: Order) -> stripe.PaymentIntent:
        if order.provider_payment_id:
            return await self.client.v1.payment_intents.retrieve_async(order.provider_payment_id)
        intent = await self.client.v1.payment_intents.create_async(
            params={
                "amount": order.total,
                "currency": order.currency.lower(),
                "payment_method_types": ["card"],
                "metadata": {"order_id": str(order.id)},
            },
            options={"idempotency_key": f"podium-order-{order.id}"},
        )
        if order.status == OrderStatus.PENDING:
            order.provider_payment_id = intent.id
            await db_session.commit()
        return intent

    async def refund(self, payment_intent_id: str, amount: int, key: str) -> stripe.Refund:
        """Give money back on a PaymentIntent; ``key`` makes a repeated request a no-op at Stripe."""
        return await self.client.v1.refunds.create_async(
            params={"payment_intent": payment_intent_id, "amount": amount}, options={"idempotency_key": key}
        )
