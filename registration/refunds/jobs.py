"""Sending card refunds, as the owner of their transactions: every worker's refund job, ``podium send-refunds``,
the webhook that claimed a payment's refund and ``podium reconcile-payments`` call these.

Each refund is its own transactions, committed here, never one transaction for a batch: the claim must be
committed before the provider is called (that commit is what keeps a second sender away), no row lock may be
held while the provider answers (it can take seconds), and one refund's failure must not undo another's
answer. The rules are in ``registration.refunds.sender``.
"""

from __future__ import annotations

import logging
from uuid import UUID

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from registration.refunds.sender import (
    RefundProvider,
    claim_refund,
    due_refunds,
    hand_back,
    record_answer,
    refund_at_provider,
)

logger = logging.getLogger("podium.registration.refunds.sender")


async def send_pending_refunds(db_session: AsyncSession, provider: RefundProvider) -> int:
    """Send every claimable card refund (see ``send_refund``); returns how many this call recorded."""
    due = await due_refunds(db_session)
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


async def send_refund(db_session: AsyncSession, provider: RefundProvider, refund_id: UUID) -> bool:
    """Claim one refund, make it at the provider (or adopt the one a lost claim made), record the answer.

    True if this call recorded the provider's refund; False if the refund wasn't claimable, or the claim
    ran out before the answer came (the next claim adopts what the provider made). The provider refusing
    the refund outright records it ``failed``; any other provider error hands the claim back (``pending``)
    and is raised, to be retried. The claim lasts ``provider.refund_lease`` (``PODIUM_REFUND_LEASE_SECONDS``).
    A transaction the caller left open is committed first: the claim is a transaction of its own."""
    if db_session.in_transaction():
        await db_session.commit()
    claim = await claim_refund(db_session, refund_id, lease=provider.refund_lease)
    await db_session.commit()
    if claim is None:
        return False
    try:
        made = await refund_at_provider(provider, claim)
    except stripe.InvalidRequestError as exc:  # refused for good (e.g. more than the charge has left)
        recorded = await record_answer(db_session, claim, None, error=str(exc.user_message or exc))
        await db_session.commit()
        return recorded
    except stripe.StripeError as exc:
        await hand_back(db_session, claim, str(exc))
        await db_session.commit()
        raise
    recorded = await record_answer(db_session, claim, made)
    await db_session.commit()
    return recorded
