"""Card payments through Stripe PaymentIntents (the official SDK's async ``StripeClient`` over aiohttp).

Not hosted Checkout: its sessions can't expire in under 30 minutes and our seat holds are shorter. One
PaymentIntent per order, created with the order id in its metadata and an idempotency key derived from
the order, so a retry can never create a second one; the page confirms it with Stripe.js and the signed
webhook (``registration.orders.webhooks``) tells us the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import stripe
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from podium.db import end_reads, write_apart
from podium.settings import Settings
from registration.models import Order, OrderStatus
from registration.payments.provider import ProviderName, settled_payment
from registration.schemas import PaymentRead

# PaymentIntent states in which the buyer has done their part and the verdict (the webhook) is on its way.
IN_FLIGHT = frozenset({"processing", "requires_capture", "succeeded"})
# Set on every refund we create, so a sender that lost its claim can find the refund at Stripe.
REFUND_METADATA = "podium_refund_id"


def refund_status(stripe_status: str | None) -> str:
    """Stripe's refund states folded into ours: only ``succeeded`` is money back; ``failed`` and
    ``canceled`` never will be; anything else (pending, requires_action) is still on its way."""
    if stripe_status == "succeeded":
        return "succeeded"
    if stripe_status in ("failed", "canceled"):
        return "failed"
    return "pending"


def new_stripe_client(settings: Settings) -> tuple[stripe.StripeClient, stripe.AIOHTTPClient]:
    """A client with its own connection pool (returned too, for closing); async methods only.

    Over aiohttp rather than httpx (both are the SDK's own async transports): a PaymentIntent's create took
    1.0-1.1 ms of this process's CPU against 1.9-2.0 ms (400 creates against localstripe, two runs each), and
    every card order makes one, every view of an unpaid one's page a read. The pool is made on first use, in
    the event loop that uses it."""
    http_client = stripe.AIOHTTPClient()
    # Retries are safe: every create carries an idempotency key (a local test server may ignore them).
    client = stripe.StripeClient(
        settings.stripe_secret_key,
        http_client=http_client,
        base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else {},
        max_network_retries=0 if settings.stripe_api_base else 2,
    )
    return client, http_client


# The web process's clients: one per configuration and event loop (a pool belongs to the loop that made it),
# closed with the app (``close_shared_clients``).
_SHARED: dict[tuple[Settings, asyncio.AbstractEventLoop], tuple[stripe.StripeClient, stripe.AIOHTTPClient]] = {}


def _shared_client(settings: Settings) -> stripe.StripeClient:
    """The client (and pool) the web process uses for ``settings`` in the running loop; standalone runs use
    ``standalone_provider`` instead."""
    key = (settings, asyncio.get_running_loop())
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = new_stripe_client(settings)
    return found[0]


async def close_shared_clients() -> None:
    """Close the shared clients of the running loop (the app's shutdown), so no connection outlives it."""
    loop = asyncio.get_running_loop()
    for key in [key for key in _SHARED if key[1] is loop]:
        await _SHARED.pop(key)[1].close_async()


class StripeProvider:
    name: ProviderName = "stripe"

    def __init__(
        self,
        client: stripe.StripeClient,
        publishable_key: str,
        *,
        test_mode: bool,
        refund_lease: dt.timedelta = dt.timedelta(seconds=120),
    ) -> None:
        self.client = client
        self.publishable_key = publishable_key
        self.test_mode = test_mode
        # How long a refund sender's claim lasts (``refund_sender``).
        self.refund_lease = refund_lease

    @classmethod
    def for_settings(cls, settings: Settings, client: stripe.StripeClient | None = None) -> StripeProvider:
        return cls(
            client or _shared_client(settings),
            settings.stripe_publishable_key,
            test_mode=settings.stripe_secret_key.startswith("sk_test_"),
            refund_lease=dt.timedelta(seconds=settings.refund_lease_seconds),
        )

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
        state = intent.to_dict()
        error = state.get("last_payment_error") or {}
        return PaymentRead(
            provider="stripe",
            status="required",
            test_mode=self.test_mode,
            client_secret=intent.client_secret,
            publishable_key=self.publishable_key,
            instructions="Pay by card on the order page.",
            in_flight=state.get("status") in IN_FLIGHT,
            last_error=(str(error.get("message") or error.get("code") or "declined") if error else None),
        )

    async def _intent(self, db_session: AsyncSession, order: Order) -> stripe.PaymentIntent:
        if order.provider_payment_id:
            return await self.client.v1.payment_intents.retrieve_async(order.provider_payment_id)
        # No transaction stays open across the call to Stripe: on SQLite a read transaction that later
        # writes fails outright if anyone committed meanwhile, and everywhere it would hold a connection.
        await end_reads(db_session)
        intent = await self.client.v1.payment_intents.create_async(
            params={
                "amount": order.total,
                "currency": order.currency.lower(),
                "metadata": {"order_id": str(order.id)},
            },
            options={"idempotency_key": f"podium-order-{order.id}"},
        )
        async with write_apart(db_session):  # the order names its intent even if this request fails later
            current = await _name_intent(db_session, order, intent.id)
        set_committed_value(order, "provider_payment_id", current)  # what the database holds; not a new change
        if current and current != intent.id:
            # A concurrent read stored its PaymentIntent first (only possible where idempotency keys are
            # ignored): hand out that one, so every buyer's page pays the intent the order knows.
            return await self.client.v1.payment_intents.retrieve_async(current)
        return intent

    async def refund(self, payment_intent_id: str, amount: int, *, key: str, refund_id: str) -> stripe.Refund:
        """Give money back on a PaymentIntent. ``key`` makes a repeated request a no-op at Stripe; the
        metadata lets ``find_refund`` recognise it where a provider ignores the key."""
        return await self.client.v1.refunds.create_async(
            params={"payment_intent": payment_intent_id, "amount": amount, "metadata": {REFUND_METADATA: refund_id}},
            options={"idempotency_key": key},
        )

    async def find_refund(self, payment_intent_id: str, refund_id: str) -> stripe.Refund | None:
        """The refund already made at Stripe for our refund ``refund_id``, if any (by its metadata)."""
        page = await self.client.v1.refunds.list_async(params={"payment_intent": payment_intent_id, "limit": 100})
        async for found in page.auto_paging_iter():
            if (found.to_dict().get("metadata") or {}).get(REFUND_METADATA) == refund_id:
                return found
        return None


async def _name_intent(db_session: AsyncSession, order: Order, intent_id: str) -> str | None:
    """Store ``intent_id`` as the pending order's PaymentIntent unless it names one already; the one it names."""
    stored = await db_session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == OrderStatus.PENDING, Order.provider_payment_id.is_(None))
        .values(provider_payment_id=intent_id)
        .returning(Order.provider_payment_id)
    )
    if stored.scalar_one_or_none() is not None:
        return intent_id
    return await db_session.scalar(select(Order.provider_payment_id).where(Order.id == order.id))


@contextlib.asynccontextmanager
async def standalone_provider(settings: Settings) -> AsyncIterator[StripeProvider]:
    """A provider for one ``asyncio.run`` (the CLI, a job): its pool is bound to that event loop, so it is
    made and closed here rather than shared."""
    client, http_client = new_stripe_client(settings)
    try:
        yield StripeProvider.for_settings(settings, client)
    finally:
        await http_client.close_async()
