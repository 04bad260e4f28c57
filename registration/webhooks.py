"""Stripe webhooks: verify the signature on the raw body, apply each event once, answer fast.

Every effect is idempotent on its own (confirming a paid order, a refund keyed by the order and the
PaymentIntent, refunded totals taken as a maximum), and each event id is recorded after its effect, so a
replayed, duplicated or out-of-order delivery changes nothing twice. An event whose effect failed is not
recorded and Stripe's retry applies it.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write
from podium.errors import DomainError
from registration.audit import record
from registration.models import Order, Refund, WebhookEvent
from registration.payment_outcomes import Outcome, PaymentResult, payment_failed, payment_succeeded
from registration.stripe_provider import StripeProvider

logger = logging.getLogger("podium.registration.webhooks")
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")


class BadSignature(DomainError):
    status_code = 400
    code = "bad_signature"
    title = "Bad signature"


def verify(payload: bytes, signature: str | None, secret: str) -> stripe.Event:
    if not secret:
        raise BadSignature("webhooks are not configured (STRIPE_WEBHOOK_SECRET)", field="Stripe-Signature")
    try:
        return stripe.Webhook.construct_event(payload, signature or "", secret)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature("the Stripe-Signature header does not match the body", field="Stripe-Signature") from exc
    except ValueError as exc:
        raise BadSignature("the body is not a Stripe event", field="body") from exc


async def handle(db_session: AsyncSession, event: stripe.Event, provider: StripeProvider) -> str:
    """Apply one verified event; returns what happened (for the response and the logs)."""
    seen = await db_session.scalar(
        select(WebhookEvent.id).where(WebhookEvent.provider == "stripe", WebhookEvent.event_id == event.id)
    )
    if seen is not None:
        return "duplicate"
    obj: dict[str, Any] = event.data.object.to_dict()
    if event.type == "payment_intent.succeeded":
        outcome = await _succeeded(db_session, obj, provider)
    elif event.type == "payment_intent.payment_failed":
        outcome = await _failed(db_session, obj)
    elif event.type == "charge.refunded":
        outcome = await _refunded(db_session, obj)
    else:
        outcome = "ignored"
    db_session.add(WebhookEvent(provider="stripe", event_id=event.id, event_type=event.type, object_id=obj.get("id")))
    try:
        await db_session.commit()
    except IntegrityError:  # the same event, delivered twice at once: the other delivery recorded it
        await db_session.rollback()
    return outcome


def _order_id(intent: dict[str, Any]) -> UUID | None:
    try:
        return UUID(str((intent.get("metadata") or {}).get("order_id", "")))
    except ValueError:
        return None


async def _succeeded(db_session: AsyncSession, intent: dict[str, Any], provider: StripeProvider) -> str:
    order_id = _order_id(intent)
    if order_id is None:
        return "not_ours"
    result = await payment_succeeded(
        db_session,
        order_id=order_id,
        provider_payment_id=intent["id"],
        amount=int(intent.get("amount_received") or intent["amount"]),
        currency=str(intent["currency"]),
        actor="stripe",
    )
    if result.outcome == Outcome.REFUND_NEEDED:
        await refund_unhonoured(db_session, result, intent["id"], provider)
    return result.outcome.value


async def refund_unhonoured(
    db_session: AsyncSession, result: PaymentResult, payment_intent_id: str, provider: StripeProvider
) -> None:
    """Money we can't honour goes straight back, once (idempotency key per order and PaymentIntent)."""
    assert result.order is not None
    refund = await provider.refund(
        payment_intent_id, result.order.total, key=f"podium-refund-{result.order.id}-{payment_intent_id}"
    )
    await begin_write(db_session)
    existing = await db_session.scalar(select(Refund).where(Refund.provider_refund_id == refund.id))
    if existing is None:
        db_session.add(
            Refund(
                order_id=result.order.id,
                amount=refund.amount,
                reason=f"automatic: {result.reason}",
                status="succeeded" if refund.status == "succeeded" else "pending",
                provider_refund_id=refund.id,
                actor="stripe",
            )
        )
        record(
            db_session, "order", result.order.id, result.order.status, result.order.status, "system", "refund issued"
        )
    await db_session.commit()


async def _failed(db_session: AsyncSession, intent: dict[str, Any]) -> str:
    order_id = _order_id(intent)
    if order_id is None:
        return "not_ours"
    error = intent.get("last_payment_error") or {}
    await payment_failed(
        db_session,
        order_id=order_id,
        provider_payment_id=intent["id"],
        message=str(error.get("message") or error.get("code") or "declined"),
        actor="stripe",
    )
    return "noted"


async def _refunded(db_session: AsyncSession, charge: dict[str, Any]) -> str:
    """Refunds made at Stripe (here or in its dashboard): mirror each one and the refunded total."""
    intent_id = charge.get("payment_intent")
    await begin_write(db_session)
    order = await db_session.scalar(select(Order).where(Order.provider_payment_id == intent_id).with_for_update())
    if order is None:
        return "not_ours"
    order.amount_refunded = max(order.amount_refunded, int(charge.get("amount_refunded") or 0))
    for refund in (charge.get("refunds") or {}).get("data", []):
        row = await db_session.scalar(select(Refund).where(Refund.provider_refund_id == refund["id"]))
        status = "succeeded" if refund.get("status") == "succeeded" else str(refund.get("status") or "pending")
        status = status if status in ("pending", "succeeded", "failed") else "pending"
        if row is None:
            db_session.add(
                Refund(
                    order_id=order.id,
                    amount=int(refund["amount"]),
                    reason="refunded at Stripe",
                    status=status,
                    provider_refund_id=refund["id"],
                    actor="stripe",
                )
            )
        else:
            row.status = status
    return "refund_recorded"


async def reconcile(db_session: AsyncSession, provider: StripeProvider) -> dict[str, int]:
    """Re-read every open PaymentIntent from Stripe and apply what a lost webhook would have applied."""
    intent_ids = (
        await db_session.scalars(
            select(Order.provider_payment_id).where(
                Order.payment_provider == "stripe",
                Order.status.in_(["pending", "expired"]),
                Order.provider_payment_id.is_not(None),
            )
        )
    ).all()
    await db_session.commit()
    counts: dict[str, int] = {}
    for intent_id in intent_ids:
        intent = await provider.client.v1.payment_intents.retrieve_async(str(intent_id))
        if intent.status != "succeeded":
            outcome = f"still_{intent.status}"
        else:
            outcome = await _succeeded(db_session, intent.to_dict(), provider)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
