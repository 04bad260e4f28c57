"""Stripe webhooks: verify the signature on the raw body, apply each event once, answer fast.

Each event id is written to ``WebhookEvent`` by the very commit that carries the event's effect, so a
replayed or duplicated delivery finds it and changes nothing, and two copies racing each other collide on
the unique key and one rolls back whole. The payment verdicts themselves live in ``payment_outcomes``,
which commits on its own; the id rides along with whichever commit that is (see ``_recorded_with``).
Refunds at Stripe are made with idempotency keys, and ``reconcile`` re-drives anything a lost or failed
delivery left undone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import stripe
from sqlalchemy import event as sa_event
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from podium.db import begin_write
from podium.errors import DomainError
from registration.audit import record
from registration.models import Order, OrderStatus, Refund, WebhookEvent
from registration.payment_outcomes import Outcome, PaymentResult, payment_failed, payment_succeeded
from registration.stripe_provider import StripeProvider, refund_status

logger = logging.getLogger("podium.registration.webhooks")
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")


class MalformedEvent(ValueError):
    """A signed event without a field we need: recorded and answered 2xx (the reason logged), since Stripe
    would otherwise retry a delivery that can never succeed for days."""


def _required(obj: dict[str, Any], key: str, kind: type[Any]) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedEvent(f"{obj.get('object', 'object')} without a valid {key!r}")
    return value


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


async def _seen(db_session: AsyncSession, event_id: str) -> bool:
    return bool(
        await db_session.scalar(
            select(exists().where(WebhookEvent.provider == "stripe", WebhookEvent.event_id == event_id))
        )
    )


@contextmanager
def _recorded_with(db_session: AsyncSession, event: stripe.Event, object_id: str | None) -> Iterator[None]:
    """Add the event's ``WebhookEvent`` row to the next commit that succeeds on ``db_session``.

    The services we call commit themselves (and one of them rolls back and retries), so the row is added
    in ``before_commit`` of whichever commit carries the effect; a commit that fails (the same event
    recorded meanwhile by a racing delivery) loses the row with everything else, and the next commit
    tries again with a fresh one.
    """
    sync_session = db_session.sync_session
    done = False

    def add_row(session: Session) -> None:
        if not done:
            session.add(WebhookEvent(provider="stripe", event_id=event.id, event_type=event.type, object_id=object_id))

    def mark_done(_session: Session) -> None:
        nonlocal done
        done = True

    sa_event.listen(sync_session, "before_commit", add_row)
    sa_event.listen(sync_session, "after_commit", mark_done)
    try:
        yield
    finally:
        sa_event.remove(sync_session, "before_commit", add_row)
        sa_event.remove(sync_session, "after_commit", mark_done)


async def handle(db_session: AsyncSession, event: stripe.Event, provider: StripeProvider) -> str:
    """Apply one verified event; returns what happened (for the response and the logs)."""
    if await _seen(db_session, event.id):
        return "duplicate"
    # End the read so each effect opens its own (write) transaction from a clean session.
    await db_session.commit()
    obj: dict[str, Any] = event.data.object.to_dict()
    result: PaymentResult | None = None
    try:
        with _recorded_with(db_session, event, obj.get("id")):
            try:
                if event.type == "payment_intent.succeeded":
                    result = await _succeeded(db_session, obj)
                    outcome = result.outcome.value if result else "not_ours"
                elif event.type == "payment_intent.payment_failed":
                    outcome = await _failed(db_session, obj)
                elif event.type == "charge.refunded":
                    outcome = await _refunded(db_session, obj)
                else:
                    outcome = "ignored"
            except MalformedEvent as exc:  # checked before any effect, so only the event id is written
                logger.warning("stripe event %s (%s) recorded, not applied: %s", event.id, event.type, exc)
                outcome = "malformed"
            await db_session.commit()  # for effects that left their transaction open (or none at all)
    except IntegrityError:
        await db_session.rollback()
        if await _seen(db_session, event.id):  # a racing copy of this event got there first
            await db_session.commit()
            return "duplicate"
        raise
    if result is not None and result.outcome == Outcome.REFUND_NEEDED:
        try:
            await refund_unhonoured(db_session, result, obj["id"], provider)
        except stripe.StripeError as exc:
            # The event is recorded, so Stripe's retry would change nothing: `podium reconcile-payments`
            # finds the order (money in, no refund) and refunds it with the same idempotency key.
            await db_session.rollback()
            logger.warning("refund for order %s not sent yet: %s", result.order.id if result.order else "?", exc)
            return "refund_deferred"
    return outcome


def _order_id(intent: dict[str, Any]) -> UUID | None:
    try:
        return UUID(str((intent.get("metadata") or {}).get("order_id", "")))
    except ValueError:
        return None


async def _succeeded(db_session: AsyncSession, intent: dict[str, Any]) -> PaymentResult | None:
    order_id = _order_id(intent)
    if order_id is None:
        return None
    amount = _required(intent, "amount_received" if intent.get("amount_received") else "amount", int)
    result = await payment_succeeded(
        db_session,
        order_id=order_id,
        provider_payment_id=_required(intent, "id", str),
        amount=amount,
        currency=_required(intent, "currency", str),
        actor="stripe",
    )
    if result.outcome == Outcome.UNKNOWN_ORDER:
        logger.warning("payment %s succeeded for unknown order %s", intent["id"], order_id)
    return result


async def refund_unhonoured(
    db_session: AsyncSession, result: PaymentResult, payment_intent_id: str, provider: StripeProvider
) -> Refund:
    """Money we can't honour goes straight back, once: the idempotency key per order and PaymentIntent
    makes a repeated request return Stripe's first refund, and its id is unique in our table."""
    assert result.order is not None
    stripe_refund = await provider.refund(
        payment_intent_id, result.order.total, key=f"podium-refund-{result.order.id}-{payment_intent_id}"
    )
    await begin_write(db_session)
    row = await db_session.scalar(select(Refund).where(Refund.provider_refund_id == stripe_refund.id))
    if row is None:
        row = Refund(
            order_id=result.order.id,
            amount=stripe_refund.amount,
            reason=f"automatic: {result.reason}",
            status=refund_status(stripe_refund.status),
            provider_refund_id=stripe_refund.id,
            actor="stripe",
        )
        db_session.add(row)
        record(
            db_session,
            "order",
            result.order.id,
            result.order.status,
            result.order.status,
            "system",
            f"refund {stripe_refund.id} of {stripe_refund.amount} issued",
        )
    await db_session.commit()
    return row


async def _failed(db_session: AsyncSession, intent: dict[str, Any]) -> str:
    order_id = _order_id(intent)
    if order_id is None:
        return "not_ours"
    error = intent.get("last_payment_error") or {}
    intent_id = _required(intent, "id", str)
    await begin_write(db_session)
    await payment_failed(
        db_session,
        order_id=order_id,
        provider_payment_id=intent_id,
        message=str(error.get("message") or error.get("code") or "declined"),
        actor="stripe",
    )
    return "noted"


async def _refunded(db_session: AsyncSession, charge: dict[str, Any]) -> str:
    """Refunds made at Stripe (by us or in its dashboard): mirror each one and the refunded total.

    The charge carries Stripe's totals, so applying any delivery, in any order, leaves the same state."""
    intent_id = charge.get("payment_intent")
    refunds = (charge.get("refunds") or {}).get("data") or []
    for refund in refunds:
        _required(refund, "id", str)
        _required(refund, "amount", int)
    await begin_write(db_session)
    order = await db_session.scalar(select(Order).where(Order.provider_payment_id == intent_id).with_for_update())
    if order is None:
        return "not_ours"
    order.amount_refunded = max(order.amount_refunded, int(charge.get("amount_refunded") or 0))
    for refund in refunds:
        row = await db_session.scalar(select(Refund).where(Refund.provider_refund_id == refund["id"]))
        status = refund_status(refund.get("status"))
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
    """Do what lost or failed webhook deliveries left undone, by asking Stripe.

    Open orders (pending, expired, cancelled before payment) whose PaymentIntent succeeded get the same
    verdict a webhook would have given them, unless we already refunded them; refunds recorded as pending
    (a cancellation, an organizer's refund) are sent to Stripe. Returns a count per outcome.
    """
    already_refunded = exists().where(Refund.order_id == Order.id, Refund.provider_refund_id.is_not(None))
    intent_ids = (
        await db_session.scalars(
            select(Order.provider_payment_id).where(
                Order.payment_provider == "stripe",
                Order.status.in_([OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.CANCELLED]),
                Order.provider_payment_id.is_not(None),
                ~already_refunded,
            )
        )
    ).all()
    await db_session.commit()
    counts: dict[str, int] = {}
    for intent_id in intent_ids:
        try:
            outcome = await _reconcile_one(db_session, provider, str(intent_id))
        except stripe.StripeError as exc:  # one unreachable intent doesn't stop the others; the next run retries
            await db_session.rollback()
            logger.warning("reconciling %s failed: %s", intent_id, exc)
            outcome = "stripe_error"
        counts[outcome] = counts.get(outcome, 0) + 1
    sent = await send_pending_refunds(db_session, provider)
    if sent:
        counts["refund_sent"] = sent
    return counts


async def _reconcile_one(db_session: AsyncSession, provider: StripeProvider, intent_id: str) -> str:
    intent = await provider.client.v1.payment_intents.retrieve_async(intent_id)
    if intent.status != "succeeded":  # canceled, or still waiting for the buyer: nothing to apply
        return f"still_{intent.status}"
    result = await _succeeded(db_session, intent.to_dict())
    await db_session.commit()
    if result is None:
        return "not_ours"
    if result.outcome == Outcome.REFUND_NEEDED:
        await refund_unhonoured(db_session, result, intent_id, provider)
    return result.outcome.value


async def send_pending_refunds(db_session: AsyncSession, provider: StripeProvider) -> int:
    """Send refunds recorded as pending for card orders to Stripe, keyed by our refund id so a repeat (or a
    crash between Stripe's answer and our commit) never refunds twice."""
    pending = (
        await db_session.execute(
            select(Refund.id, Refund.amount, Order.provider_payment_id)
            .join(Order, Order.id == Refund.order_id)
            .where(
                Order.payment_provider == "stripe",
                Order.provider_payment_id.is_not(None),
                Refund.status == "pending",
                Refund.provider_refund_id.is_(None),
            )
        )
    ).all()
    await db_session.commit()
    sent = 0
    for refund_id, amount, intent_id in pending:
        try:
            stripe_refund = await provider.refund(str(intent_id), amount, key=f"podium-refund-{refund_id}")
        except stripe.StripeError as exc:  # stays pending; the next run retries with the same key
            logger.warning("refund %s could not be sent: %s", refund_id, exc)
            continue
        await begin_write(db_session)
        row = await db_session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
        assert row is not None
        row.provider_refund_id = stripe_refund.id
        row.status = refund_status(stripe_refund.status)
        order = await db_session.get(Order, row.order_id, with_for_update=True, populate_existing=True)
        assert order is not None
        if row.status == "succeeded":
            settled = await db_session.scalar(
                select(func.coalesce(func.sum(Refund.amount), 0)).where(
                    Refund.order_id == order.id, Refund.status == "succeeded"
                )
            )
            order.amount_refunded = max(order.amount_refunded, int(settled or 0))
        await db_session.commit()
        sent += 1
    return sent
