"""Card refunds reach the provider exactly once, even where it ignores idempotency keys.

A refund is recorded ``pending`` by whoever decides it (a cancellation, an organizer, a payment an order
can't keep). To send it, a sender first claims it (``claim_refund``): one conditional UPDATE, committed on
its own, turns it ``sending`` with a lease, counts the attempt and stores the idempotency key, so of two
senders only one wins. Then ``send_refund`` calls the provider and records the answer, but only while its
claim still stands (same attempt, lease not run out). A claim whose lease ran out (the sender crashed or
hung mid-call) is claimed again, and that sender first asks the provider for a refund already made for
it (Stripe: the PaymentIntent's refunds, matched by ``metadata.podium_refund_id``) and adopts it; only
when there is none does it send again. Every worker's refund sender, the webhook that claimed a payment's
refund and ``podium reconcile-payments`` all go through here.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from uuid import UUID

import stripe
from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.db import begin_write, utcnow
from podium.formatting import format_money
from registration.documents import record_documents
from registration.ledger import sync_refunded
from registration.mail import enqueue_refund_failed_mail
from registration.models import Order, Payment, Refund, RefundStatus
from registration.stripe_provider import StripeProvider, refund_status

logger = logging.getLogger("podium.registration.refund_sender")


@dataclass(frozen=True)
class RefundClaim:
    """One sender's right to send one refund: valid while the row still has this attempt and lease."""

    refund_id: UUID
    order_id: UUID
    attempt: int
    lease_until: dt.datetime
    idempotency_key: str
    amount: int
    payment_intent_id: str


def idempotency_key_for(refund_id: UUID) -> str:
    return f"podium-refund-{refund_id}"


def _claimable(now: dt.datetime) -> ColumnElement[bool]:
    """Not at the provider yet and either never claimed, or claimed by a sender whose lease ran out."""
    return and_(
        Refund.provider_refund_id.is_(None),
        or_(
            Refund.status == RefundStatus.PENDING,
            and_(Refund.status == RefundStatus.SENDING, Refund.lease_until < now),
        ),
    )


async def claim_refund(
    db_session: AsyncSession, refund_id: UUID, *, lease: dt.timedelta, now: dt.datetime | None = None
) -> RefundClaim | None:
    """Claim one card refund for sending, in a transaction of its own that is committed before the
    provider is called; None if it is not claimable (another sender holds it, or it is settled)."""
    now = now or utcnow()
    if db_session.in_transaction():
        await db_session.commit()
    await begin_write(db_session)
    claimed = (
        await db_session.execute(
            update(Refund)
            .where(Refund.id == refund_id, _claimable(now))
            .values(
                status=RefundStatus.SENDING.value,
                attempts=Refund.attempts + 1,
                lease_until=now + lease,
                idempotency_key=idempotency_key_for(refund_id),
            )
            .returning(Refund.order_id, Refund.attempts, Refund.amount, Refund.payment_id)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if claimed is None:
        await db_session.commit()
        return None
    payment = await db_session.get(Payment, claimed.payment_id)
    assert payment is not None
    await db_session.commit()
    return RefundClaim(
        refund_id=refund_id,
        order_id=claimed.order_id,
        attempt=claimed.attempts,
        lease_until=now + lease,
        idempotency_key=idempotency_key_for(refund_id),
        amount=claimed.amount,
        payment_intent_id=payment.provider_payment_id,
    )


async def send_pending_refunds(db_session: AsyncSession, provider: StripeProvider) -> int:
    """Send every claimable card refund (see ``send_refund``); returns how many this call recorded."""
    due = (
        await db_session.scalars(
            select(Refund.id)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.provider == "stripe", _claimable(utcnow()))
            .order_by(Refund.created_at)
        )
    ).all()
    await db_session.commit()
    sent = 0
    for refund_id in due:
        try:
            sent += await send_refund(db_session, provider, refund_id)
        except stripe.StripeError as exc:  # back to pending (see ``send_refund``); the next round retries
            logger.warning("refund %s could not be sent: %s", refund_id, exc)
        except Exception:  # its claim runs out, and the next claim asks the provider first: nothing is lost
            logger.exception("refund %s: sending failed unexpectedly", refund_id)
            await db_session.rollback()
    return sent


async def send_refund(db_session: AsyncSession, provider: StripeProvider, refund_id: UUID) -> bool:
    """Claim one refund, make it at the provider (or adopt the one a lost claim made), record the answer.

    True if this call recorded the provider's refund; False if the refund wasn't claimable, or the claim
    ran out before the answer came (the next claim adopts what the provider made). The provider refusing
    the refund outright records it ``failed``; any other provider error hands the claim back (``pending``)
    and is raised, to be retried. The claim lasts ``provider.refund_lease`` (``PODIUM_REFUND_LEASE_SECONDS``)."""
    claim = await claim_refund(db_session, refund_id, lease=provider.refund_lease)
    if claim is None:
        return False
    try:
        made = None
        if claim.attempt > 1:  # an earlier claim may have reached the provider before it was lost
            made = await provider.find_refund(claim.payment_intent_id, str(refund_id))
        if made is None:
            made = await provider.refund(
                claim.payment_intent_id, claim.amount, key=claim.idempotency_key, refund_id=str(refund_id)
            )
    except stripe.InvalidRequestError as exc:  # refused for good (e.g. more than the charge has left)
        return await _record(db_session, claim, None, error=str(exc.user_message or exc))
    except stripe.StripeError as exc:
        await _hand_back(db_session, claim, str(exc))
        raise
    return await _record(db_session, claim, made)


async def _current(db_session: AsyncSession, claim: RefundClaim) -> tuple[Order, Refund] | None:
    """The order and refund, locked, if ``claim`` still stands; None (and the transaction ended) if not."""
    await begin_write(db_session)
    order = await db_session.get(Order, claim.order_id, with_for_update=True, populate_existing=True)
    row = await db_session.get(Refund, claim.refund_id, with_for_update=True, populate_existing=True)
    assert order is not None and row is not None
    if row.status != RefundStatus.SENDING or row.attempts != claim.attempt or row.lease_until is None:
        await db_session.commit()
        return None
    if row.lease_until <= utcnow():
        await db_session.commit()
        return None
    return order, row


async def _hand_back(db_session: AsyncSession, claim: RefundClaim, error: str) -> None:
    """A provider error that may pass: the refund is claimable again at once (the attempt stays counted, so
    the next sender looks for a refund this call might have made after all)."""
    current = await _current(db_session, claim)
    if current is None:
        return
    _, row = current
    row.status = RefundStatus.PENDING.value
    row.lease_until = None
    row.last_error = error[:2000]
    await db_session.commit()


async def _record(db_session: AsyncSession, claim: RefundClaim, made: stripe.Refund | None, *, error: str = "") -> bool:
    current = await _current(db_session, claim)
    if current is None:
        logger.warning(
            "refund %s: claim %d ran out before the provider answered; the next claim adopts its refund",
            claim.refund_id,
            claim.attempt,
        )
        return False
    order, row = current
    row.lease_until = None
    if made is None:
        row.status = RefundStatus.FAILED.value
        row.last_error = error[:2000]
        money = format_money(row.amount, order.currency)
        note = f"refund of {money} on payment {claim.payment_intent_id} refused: {error}"
    else:
        # A charge.refunded delivery may have copied this very refund before we recorded it.
        await db_session.execute(delete(Refund).where(Refund.provider_refund_id == made.id, Refund.id != row.id))
        row.provider_refund_id = made.id
        row.status = refund_status(made.status)
        note = (
            f"refund {made.id} of {format_money(made.amount, order.currency)} on payment {claim.payment_intent_id}"
            f" sent ({row.status})"
        )
    refunded_before = order.amount_refunded
    await sync_refunded(db_session, order)
    audit.record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        "system",
        note[:2000],
        event_id=order.event_id,
        action="refund_sent" if made is not None else "refund_failed",
        changes={
            "amount_refunded": [refunded_before, order.amount_refunded],
            "refund_status": [RefundStatus.SENDING.value, row.status],
        },
    )
    if row.status == RefundStatus.FAILED:
        await enqueue_refund_failed_mail(db_session, order, refund_id=row.id, amount=row.amount)
        # The receipt issued for after the refund says too little: it is corrected back (``documents``).
        await record_documents(db_session, order, reason="refund failed", locked=True)
    await db_session.commit()
    return made is not None
