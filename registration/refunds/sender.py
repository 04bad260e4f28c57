"""Card refunds reach the provider exactly once, even where it ignores idempotency keys.

A refund is recorded ``pending`` by whoever decides it (a cancellation, an organizer, a payment an order
can't keep). To send it, a sender first claims it (``claim_refund``): one conditional UPDATE, which its owner
commits on its own before calling the provider, turns it ``sending`` with a lease, counts the attempt and
stores the idempotency key, so of two senders only one wins. Then the sender calls the provider and records
the answer (``record_answer``), but only while its claim still stands (same attempt, lease not run out). A
claim whose lease ran out (the sender crashed or hung mid-call) is claimed again, and that sender first asks
the provider for a refund already made for it (Stripe: the PaymentIntent's refunds, matched by
``metadata.podium_refund_id``) and adopts it; only when there is none does it send again. Every worker's
refund sender, the webhook that claimed a payment's refund and ``podium reconcile-payments`` all go through
here, by ``registration.refunds.jobs``, which owns the transactions: these steps never commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.db import begin_write, utcnow
from podium.formatting import format_money
from registration.documents.services import record_documents
from registration.mail.services import enqueue_refund_failed_mail
from registration.models import Order, Payment, Refund, RefundStatus
from registration.payments.ledger import sync_refunded
from registration.payments.stripe import refund_status

logger = logging.getLogger("podium.registration.refunds.sender")


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
    """Claim one card refund for sending; None if it is not claimable (another sender holds it, or it is
    settled). The caller commits the claim before it calls the provider: until then it holds nothing."""
    now = now or utcnow()
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
        return None
    payment = await db_session.get(Payment, claimed.payment_id)
    assert payment is not None
    return RefundClaim(
        refund_id=refund_id,
        order_id=claimed.order_id,
        attempt=claimed.attempts,
        lease_until=now + lease,
        idempotency_key=idempotency_key_for(refund_id),
        amount=claimed.amount,
        payment_intent_id=payment.provider_payment_id,
    )


async def due_refunds(db_session: AsyncSession) -> Sequence[UUID]:
    """The card refunds a sender may claim now, oldest first."""
    return (
        await db_session.scalars(
            select(Refund.id)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.provider == "stripe", _claimable(utcnow()))
            .order_by(Refund.created_at)
        )
    ).all()


class MadeRefund(Protocol):
    """What the sender reads of a refund the provider made (a ``stripe.Refund``)."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str | None: ...

    @property
    def amount(self) -> int: ...


class RefundProvider(Protocol):
    """What sending a refund needs of a provider: ``StripeProvider``, or a test's provider that fails on cue."""

    refund_lease: dt.timedelta

    async def refund(self, payment_intent_id: str, amount: int, *, key: str, refund_id: str) -> MadeRefund: ...

    async def find_refund(self, payment_intent_id: str, refund_id: str) -> MadeRefund | None: ...


async def refund_at_provider(provider: RefundProvider, claim: RefundClaim) -> MadeRefund:
    """Make the refund at the provider, or adopt the one an earlier claim made before it was lost."""
    if claim.attempt > 1:
        made = await provider.find_refund(claim.payment_intent_id, str(claim.refund_id))
        if made is not None:
            return made
    return await provider.refund(
        claim.payment_intent_id, claim.amount, key=claim.idempotency_key, refund_id=str(claim.refund_id)
    )


async def _current(db_session: AsyncSession, claim: RefundClaim) -> tuple[Order, Refund] | None:
    """The order and refund, locked, if ``claim`` still stands; None if not (the caller ends the transaction)."""
    await begin_write(db_session)
    order = await db_session.get(Order, claim.order_id, with_for_update=True, populate_existing=True)
    row = await db_session.get(Refund, claim.refund_id, with_for_update=True, populate_existing=True)
    assert order is not None and row is not None
    if row.status != RefundStatus.SENDING or row.attempts != claim.attempt or row.lease_until is None:
        return None
    if row.lease_until <= utcnow():
        return None
    return order, row


async def hand_back(db_session: AsyncSession, claim: RefundClaim, error: str) -> None:
    """A provider error that may pass: the refund is claimable again at once (the attempt stays counted, so
    the next sender looks for a refund this call might have made after all)."""
    current = await _current(db_session, claim)
    if current is None:
        return
    _, row = current
    row.status = RefundStatus.PENDING.value
    row.lease_until = None
    row.last_error = error[:2000]


async def record_answer(
    db_session: AsyncSession, claim: RefundClaim, made: MadeRefund | None, *, error: str = ""
) -> bool:
    """Record the provider's refund (``made``) or its refusal (``error``) while ``claim`` stands; True if a
    refund made was recorded. A claim that ran out records nothing: the next claim adopts what was made."""
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
    return made is not None
