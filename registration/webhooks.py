"""Stripe webhooks: verify the signature on the raw body, apply each event once, answer fast.

Each event id is written to ``WebhookEvent`` by the very commit that carries the event's effect, so a
replayed or duplicated delivery finds it and changes nothing, and two copies racing each other collide on
the unique key and one rolls back whole. The payment verdicts themselves live in ``payment_outcomes``,
which commits on its own; the id rides along with whichever commit that is (see ``_recorded_with``).
A payment an order can't keep (a second one, a late one) is claimed for a refund by its verdict and sent
by the delivery that claimed it (``refund_sender``); ``reconcile`` re-drives anything a lost or failed
delivery left undone, including payments no order names.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import stripe
from sqlalchemy import event as sa_event
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from podium.db import begin_write
from podium.errors import DomainError
from registration.documents import record_documents
from registration.ledger import sync_refunded
from registration.models import Order, OrderStatus, Payment, Refund, WebhookEvent
from registration.payment_outcomes import Outcome, PaymentResult, payment_failed, payment_succeeded
from registration.refund_sender import send_pending_refunds, send_refund
from registration.stripe_provider import REFUND_METADATA, StripeProvider, refund_status

logger = logging.getLogger("podium.registration.webhooks")
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")
# How far back `podium reconcile-payments` looks for payments no order names; longer than Stripe retries
# a webhook (three days), so a delivery that never came is still found.
RECONCILE_WINDOW = dt.timedelta(days=30)


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
                    outcome = await _failed(db_session, obj, _created(event))
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
    if result is not None and result.outcome == Outcome.REFUND_NEEDED and result.refund_id is not None:
        # Only the delivery that claimed the refund sends it; a claim left pending is sent by the refund
        # sender (every worker) or `podium reconcile-payments`, under the same idempotency key.
        try:
            await send_refund(db_session, provider, result.refund_id)
        except stripe.StripeError as exc:
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


def _created(event: stripe.Event) -> dt.datetime:
    """When Stripe made the event (its ``created``, seconds), to order it against what the page reported."""
    created = getattr(event, "created", None)
    if isinstance(created, int) and not isinstance(created, bool):
        return dt.datetime.fromtimestamp(created, dt.UTC)
    return dt.datetime.now(dt.UTC)


async def _failed(db_session: AsyncSession, intent: dict[str, Any], occurred_at: dt.datetime) -> str:
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
        occurred_at=occurred_at,
    )
    return "noted"


async def _refunded(db_session: AsyncSession, charge: dict[str, Any]) -> str:
    """Refunds made at Stripe (by us or in its dashboard) of a payment we know: ours (by the metadata we set)
    take Stripe's id and state; any other is recorded as a refund of that payment. Each refund is one row
    either way, so applying any delivery, in any order, leaves the same state and the same order totals."""
    intent_id = charge.get("payment_intent")
    refunds = (charge.get("refunds") or {}).get("data") or []
    for refund in refunds:
        _required(refund, "id", str)
        _required(refund, "amount", int)
    await begin_write(db_session)
    payment = await db_session.scalar(select(Payment).where(Payment.provider_payment_id == str(intent_id)))
    if payment is None:
        return "not_ours"
    order = await db_session.get(Order, payment.order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    for refund in refunds:
        status = refund_status(refund.get("status"))
        row = await db_session.scalar(select(Refund).where(Refund.provider_refund_id == refund["id"]))
        if row is None:
            row = await _ours(db_session, payment, refund)
            if row is not None:
                row.provider_refund_id = refund["id"]
                row.lease_until = None
        if row is None:
            db_session.add(
                Refund(
                    order_id=order.id,
                    payment_id=payment.id,
                    amount=int(refund["amount"]),
                    reason="refunded at Stripe",
                    status=status,
                    provider_refund_id=refund["id"],
                    actor="stripe",
                )
            )
        else:
            row.status = status
    await sync_refunded(db_session, order)
    if payment.kept:  # a refund made at Stripe, or ours failing there, changes what the receipt must say
        await record_documents(db_session, order, reason="refund", locked=True)
    return "refund_recorded"


async def _ours(db_session: AsyncSession, payment: Payment, refund: dict[str, Any]) -> Refund | None:
    """Our refund a Stripe refund was made for (its metadata names it), if Stripe's id isn't recorded yet."""
    try:
        refund_id = UUID(str((refund.get("metadata") or {}).get(REFUND_METADATA, "")))
    except ValueError:
        return None
    return await db_session.scalar(
        select(Refund).where(
            Refund.id == refund_id, Refund.payment_id == payment.id, Refund.provider_refund_id.is_(None)
        )
    )


async def reconcile(
    db_session: AsyncSession, provider: StripeProvider, *, window: dt.timedelta = RECONCILE_WINDOW
) -> dict[str, int]:
    """Do what lost or failed webhook deliveries left undone, by asking Stripe.

    Two kinds of payment can be missed: the PaymentIntent an open order (pending, expired, cancelled before
    payment) names, and PaymentIntents its order doesn't name (a second payment, or the intent an order
    named before another paid it), found among Stripe's recent ones by the order id in their metadata.
    Each that succeeded and has no verdict yet (it paid its order, or its refund is claimed) gets the one a
    webhook would have given it; then every refund recorded as pending is sent. Returns a count per outcome.
    """
    counts: dict[str, int] = {}

    def count(outcome: str) -> None:
        counts[outcome] = counts.get(outcome, 0) + 1

    intents: dict[str, dict[str, Any]] = {}
    for intent_id in await _open_order_intents(db_session):
        try:  # one unreachable intent doesn't stop the others; the next run retries
            intent = (await provider.client.v1.payment_intents.retrieve_async(intent_id)).to_dict()
        except stripe.StripeError as exc:
            logger.warning("reconciling %s failed: %s", intent_id, exc)
            count("stripe_error")
            continue
        if intent["status"] != "succeeded":  # canceled, or still waiting for the buyer: nothing to apply
            count(f"still_{intent['status']}")
            continue
        intents[intent_id] = intent
    try:
        async for intent in _recent_unkept_intents(provider, window):
            intents.setdefault(intent["id"], intent)
    except stripe.StripeError as exc:
        logger.warning("listing recent payments failed: %s", exc)
        count("stripe_error")
    for intent_id in await _with_verdict(db_session, list(intents)):
        del intents[intent_id]
    for intent in intents.values():
        result = await _succeeded(db_session, intent)
        await db_session.commit()
        count(result.outcome.value if result is not None else "not_ours")
    sent = await send_pending_refunds(db_session, provider)
    if sent:
        counts["refund_sent"] = sent
    return counts


async def _open_order_intents(db_session: AsyncSession) -> list[str]:
    """The PaymentIntents open card orders name that have no verdict yet (no payment recorded for them)."""
    intent_ids = (
        await db_session.scalars(
            select(Order.provider_payment_id).where(
                Order.payment_provider == "stripe",
                Order.status.in_([OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.CANCELLED]),
                Order.provider_payment_id.is_not(None),
                ~exists().where(Payment.provider_payment_id == Order.provider_payment_id),
            )
        )
    ).all()
    await db_session.commit()
    return [str(i) for i in intent_ids]


async def _recent_unkept_intents(provider: StripeProvider, window: dt.timedelta) -> AsyncIterator[dict[str, Any]]:
    """Succeeded PaymentIntents of the last ``window`` that carry an order id and whose money is all still
    there (one refunded at Stripe, say from its dashboard, is left to people). Stripe lists newest first,
    so paging stops at the first one older than the window (its ``created`` filter would do the same, but
    the local test server doesn't take it)."""
    since = time.time() - window.total_seconds()
    page = await provider.client.v1.payment_intents.list_async(params={"limit": 100, "expand": ["data.latest_charge"]})
    async for intent in page.auto_paging_iter():
        if intent.created < since:
            return
        found = intent.to_dict()
        charge = found.get("latest_charge")
        refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
        if found["status"] == "succeeded" and _order_id(found) is not None and refunded == 0:
            yield found


async def _with_verdict(db_session: AsyncSession, intent_ids: Sequence[str]) -> set[str]:
    """Which of ``intent_ids`` already had their effect: a payment is recorded for each (kept or refunded)."""
    done: set[str] = set()
    for start in range(0, len(intent_ids), 500):  # bounded IN lists, whatever the window holds
        chunk = intent_ids[start : start + 500]
        recorded = select(Payment.provider_payment_id).where(Payment.provider_payment_id.in_(chunk))
        done.update(str(i) for i in (await db_session.scalars(recorded)).all())
    await db_session.commit()
    return done
