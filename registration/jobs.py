"""Background work for registration: the sweep that ends unpaid holds, returns their seats, hands freed
seats to waitlists (lapsing offers nobody claimed) and writes reminders before a hold or offer runs out;
and the drain that sends the mail outbox.

It runs in every worker; that is safe because ending a hold is a conditional status change that only
one transaction can win. Holds are also ended lazily when an order finds its seats taken by stale holds,
so a stopped sweep delays the return of seats but never loses them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from podium import rate_limits
from podium.settings import Settings
from registration.documents import issue_all_pending
from registration.holds import expire_holds
from registration.outbox import drain_outbox, sender_for
from registration.reminders import enqueue_reminders
from registration.waitlist import DEFAULT_OFFER_HOURS, process_waitlists

logger = logging.getLogger("podium.registration.jobs")


async def sweep_expired_holds(
    session_maker: Callable[[], AsyncSession], offer_hours: float = DEFAULT_OFFER_HOURS
) -> int:
    """One round: end expired holds, then lapse stale offers and offer freed seats to the queues; number any
    document left pending."""
    async with session_maker() as db_session:
        ended = await expire_holds(db_session)
    async with session_maker() as db_session:
        await process_waitlists(db_session, offer_hours=offer_hours)
    async with session_maker() as db_session:
        await enqueue_reminders(db_session, offer_hours=offer_hours)  # before a hold or an offer runs out
        await db_session.commit()
    async with session_maker() as db_session:
        await rate_limits.prune(db_session)  # counters of ended windows (podium/rate_limits.py)
        await db_session.commit()
    async with session_maker() as db_session:
        await issue_all_pending(db_session)  # receipts a crash left unnumbered (registration/documents.py)
    return ended


async def run_hold_sweeper(
    session_maker: Callable[[], AsyncSession], interval_seconds: float, offer_hours: float = DEFAULT_OFFER_HOURS
) -> None:
    """Sweep forever; a failing round is logged and retried, it never takes the worker down."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            ended = await sweep_expired_holds(session_maker, offer_hours)
            if ended:
                logger.info("ended %d expired holds", ended)
        except (SQLAlchemyError, OSError):
            logger.exception("hold sweep failed; retrying in %s s", interval_seconds)


async def run_mail_drainer(session_maker: Callable[[], AsyncSession], settings: Settings) -> None:
    """Send due mail every ``mail_drain_seconds``; every worker may run one (claims never overlap).

    Any failure of a round is logged and the next round tries again: this task must outlive a database
    restart or a bug in one message, or mail would silently stop until the worker restarts.
    """
    sender = sender_for(settings)
    while True:
        await asyncio.sleep(settings.mail_drain_seconds)
        try:
            async with session_maker() as db_session:
                sent = await drain_outbox(db_session, sender, settings)
            if sent:
                logger.info("sent %d mails", sent)
        except Exception:
            logger.exception("mail drain failed; retrying in %s s", settings.mail_drain_seconds)


async def run_refund_sender(session_maker: Callable[[], AsyncSession], settings: Settings) -> None:
    """Send card refunds recorded as pending (cancellations, organizers, payments an order can't keep), every
    ``refund_send_seconds``. Every worker may run it: each refund goes to Stripe under an idempotency key
    made from its id, so two workers sending the same one at once refund once."""
    from registration.refund_sender import send_pending_refunds
    from registration.stripe_provider import standalone_provider

    async with standalone_provider(settings) as provider:
        while True:
            await asyncio.sleep(settings.refund_send_seconds)
            try:
                async with session_maker() as db_session:
                    sent = await send_pending_refunds(db_session, provider)
                if sent:
                    logger.info("sent %d refunds to Stripe", sent)
            except Exception:
                logger.exception("sending refunds failed; retrying in %s s", settings.refund_send_seconds)
