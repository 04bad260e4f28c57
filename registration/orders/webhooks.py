"""Stripe webhooks: verify the signature on the raw body, apply each event once, answer fast.

The request owns the transaction: ``handle`` first writes the event id to ``WebhookEvent`` (a duplicate key
is ignored by the database, so of two copies racing each other the second waits for the first and then
finds it recorded), then applies the effect, and the controller commits both at once; a replayed or
duplicated delivery changes nothing. The payment verdicts themselves live in ``payment_outcomes``.
A payment an order can't keep (a second one, a late one) is claimed for a refund by its verdict, the
pending refund written in that same transaction, and sent once it is committed by the delivery that
claimed it (``send_claimed_refund``) or else the refund sender. Reconciliation (``registration.tasks``)
uses the queries at the end to re-drive anything a lost or failed delivery left undone, including
payments no order names.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import stripe
from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write
from podium.errors import DomainError
from podium.i18n import N_
from registration.documents.services import record_documents
from registration.models import Order, OrderStatus, Payment, Refund, WebhookEvent
from registration.orders.payment_outcomes import Outcome, PaymentResult, payment_failed, payment_succeeded
from registration.payments.ledger import sync_refunded
from registration.payments.stripe import REFUND_METADATA, StripeProvider, refund_status
from registration.refunds.jobs import send_refund

logger = logging.getLogger("podium.registration.orders.webhooks")


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
        raise BadSignature(N_("webhooks are not configured (STRIPE_WEBHOOK_SECRET)"), field="Stripe-Signature")
    try:
        return stripe.Webhook.construct_event(payload, signature or "", secret)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(N_("the Stripe-Signature header does not match the body"), field="Stripe-Signature") from exc
    except ValueError as exc:
        raise BadSignature(N_("the body is not a Stripe event"), field="body") from exc


@dataclass(frozen=True)
class Handled:
    """What applying one event did (for the response and the logs), and the refund it claimed, if any, for the
    request to send once its transaction is committed."""

    outcome: str
    refund_id: UUID | None = None


async def _record_event(db_session: AsyncSession, event: stripe.Event, object_id: str | None) -> bool:
    """Write the event's id; False if a delivery recorded it before. One statement that ignores a duplicate
    key: a racing copy's uncommitted row makes it wait (PostgreSQL) or holds the write lock (SQLite), so the
    later copy sees the id once the first commits, or writes it if the first rolled back."""
    insert = postgresql.insert if db_session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(WebhookEvent)
        .values(provider="stripe", event_id=event.id, event_type=event.type, object_id=object_id)
        .on_conflict_do_nothing(index_elements=[WebhookEvent.provider, WebhookEvent.event_id])
        .returning(WebhookEvent.id)
    )
    return (await db_session.execute(statement)).first() is not None


async def handle(db_session: AsyncSession, event: stripe.Event) -> Handled:
    """Apply one verified event in the caller's transaction: its id and its effect are committed together."""
    obj: dict[str, Any] = event.data.object.to_dict()
    await begin_write(db_session)
    if not await _record_event(db_session, event, obj.get("id")):
        return Handled("duplicate")
    try:
        if event.type == "payment_intent.succeeded":
            result = await apply_succeeded(db_session, obj)
            if result is None:
                return Handled("not_ours")
            return Handled(result.outcome.value, result.refund_id if result.outcome == Outcome.REFUND_NEEDED else None)
        if event.type == "payment_intent.payment_failed":
            return Handled(await _failed(db_session, obj, _created(event)))
        if event.type == "charge.refunded":
            return Handled(await _refunded(db_session, obj))
    except MalformedEvent as exc:  # checked before any effect, so only the event id is written
        logger.warning("stripe event %s (%s) recorded, not applied: %s", event.id, event.type, exc)
        return Handled("malformed")
    return Handled("ignored")


async def send_claimed_refund(db_session: AsyncSession, provider: StripeProvider, handled: Handled) -> str:
    """After the verdict's commit, the delivery that claimed a refund sends it (claimed again first, so it
    goes out once); a claim left pending is sent by the refund sender (every worker) or `podium
    reconcile-payments`, under the same idempotency key."""
    if handled.refund_id is None:
        return handled.outcome
    try:
        await send_refund(db_session, provider, handled.refund_id)
    except stripe.StripeError as exc:
        logger.warning("refund %s not sent yet: %s", handled.refund_id, exc)
        return "refund_deferred"
    return handled.outcome


def _order_id(intent: dict[str, Any]) -> UUID | None:
    try:
        return UUID(str((intent.get("metadata") or {}).get("order_id", "")))
    except ValueError:
        return None


async def apply_succeeded(db_session: AsyncSession, intent: dict[str, Any]) -> PaymentResult | None:
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


async def open_order_intents(db_session: AsyncSession) -> list[str]:
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
    return [str(i) for i in intent_ids]


async def succeeded_intents(
    provider: StripeProvider, open_intent_ids: Sequence[str], window: dt.timedelta, counts: Counter[str]
) -> dict[str, dict[str, Any]]:
    """Ask Stripe which payments to look at: those of ``open_intent_ids`` that succeeded, and the succeeded
    ones of the last ``window`` no order names (see ``_recent_unkept_intents``). Errors are counted in
    ``counts``, not raised: one unreachable intent doesn't stop the others, and the next run retries."""
    intents: dict[str, dict[str, Any]] = {}
    for intent_id in open_intent_ids:
        try:
            intent = (await provider.client.v1.payment_intents.retrieve_async(intent_id)).to_dict()
        except stripe.StripeError as exc:
            logger.warning("reconciling %s failed: %s", intent_id, exc)
            counts["stripe_error"] += 1
            continue
        if intent["status"] != "succeeded":  # canceled, or still waiting for the buyer: nothing to apply
            counts[f"still_{intent['status']}"] += 1
            continue
        intents[intent_id] = intent
    try:
        async for intent in _recent_unkept_intents(provider, window):
            intents.setdefault(intent["id"], intent)
    except stripe.StripeError as exc:
        logger.warning("listing recent payments failed: %s", exc)
        counts["stripe_error"] += 1
    return intents


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


async def with_verdict(db_session: AsyncSession, intent_ids: Sequence[str]) -> set[str]:
    """Which of ``intent_ids`` already had their effect: a payment is recorded for each (kept or refunded)."""
    done: set[str] = set()
    for start in range(0, len(intent_ids), 500):  # bounded IN lists, whatever the window holds
        chunk = intent_ids[start : start + 500]
        recorded = select(Payment.provider_payment_id).where(Payment.provider_payment_id.in_(chunk))
        done.update(str(i) for i in (await db_session.scalars(recorded)).all())
    return done
