"""The payment provider interface and the offline test provider used by the embedded default and demos.

A provider tells the buyer what to do next for a pending order; confirming and refunding go through
``registration.orders`` so the seat and audit rules live in one place whatever the provider.
"""

from __future__ import annotations

from typing import Literal, Protocol

from registration.models import Order, OrderStatus
from registration.schemas import PaymentRead

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

    def payment_for(self, order: Order) -> PaymentRead: ...


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

    def payment_for(self, order: Order) -> PaymentRead:
        settled = settled_payment(order, test_mode=True)
        if settled is not None:
            return settled
        return PaymentRead(
            provider="offline",
            status="required",
            test_mode=True,
            instructions=OFFLINE_INSTRUCTIONS.format(order_id=order.id),
        )


def provider_for(settings: object) -> PaymentProvider:
    """The provider this deployment takes payments with. Until Stripe keys are configured that is the
    offline test provider, whose payments are refused in production (see ``orders.pay_offline``)."""
    return OfflineTestProvider()
