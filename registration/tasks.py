"""Registration's background jobs (procrastinate, through ``podium.jobs``): send due mail, send pending card
refunds, number pending receipts, and the sweep that ends expired holds, lapses and makes waitlist offers, writes
the mails that fall due later (a "pay by" for an order still unpaid, reminders) and prunes rate-limit counters;
and the reconciliation of card payments (``podium reconcile-payments``).

This module is the job layer: its functions own their transactions, as a request handler does, and the
services they call don't commit (those that still do, the drain and the refund sender, commit per message or
refund; one bad message never holds the others back). A job that must not hold locks long commits per item.
A job that raises is retried with backoff and ends visible to organizers (``/organizer/jobs``).

Mail and refunds are written as rows in the transaction of the change that causes them (the outbox, pending
refunds; a mail that is due only if nothing changes meanwhile is written by the sweep, in the transaction that
claims it), and that transaction queues their job (``kick_after_commit``: ``outbox.enqueue`` for mail,
``ledger.add_refund`` for a pending refund); the periodic runs catch anything a lost wake-up missed. A refund is
claimed before it is sent (``registration/refunds/sender.py``), so this job racing the webhook that claimed it
never sends it twice.

Ending a hold is a conditional status change only one transaction can win, and holds also end lazily when an
order finds its seats taken by stale ones, so a stopped sweep delays, never loses.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from podium import rate_limits
from podium.jobs import JobEnv, job
from podium.mail_senders import sender_for
from podium.outbox import SEND_MAIL_JOB
from registration.documents.jobs import issue_all_pending
from registration.documents.services import NUMBER_DOCUMENTS_JOB
from registration.mail.attachments import drain_outbox
from registration.mail.held import BATCH as HELD_MAIL_BATCH
from registration.mail.held import enqueue_held_mails
from registration.mail.reminders import enqueue_reminders
from registration.orders.holds import expire_holds
from registration.orders.webhooks import apply_succeeded, open_order_intents, succeeded_intents, with_verdict
from registration.payments.ledger import SEND_REFUNDS_JOB
from registration.payments.stripe import StripeProvider, standalone_provider
from registration.refunds.jobs import send_pending_refunds
from registration.waitlist.services import process_waitlists

logger = logging.getLogger("podium.registration.tasks")

SWEEP_JOB = "registration.sweep_holds"
# One mail job drains batch after batch for at most this long, then queues a successor, so a burst of mail
# neither waits for the next periodic run nor keeps one job (and its lease on the worker) for ever.
MAIL_JOB_BUDGET_SECONDS = 60.0
MAIL_BATCH = 50
# How far back reconciliation looks for payments no order names; longer than Stripe retries a webhook (three
# days), so a delivery that never came is still found.
RECONCILE_WINDOW = dt.timedelta(days=30)


async def sweep_expired_holds(session_maker: Callable[[], AsyncSession], offer_hours: float) -> dict[str, int]:
    """One round: end expired holds, then lapse stale offers and offer freed seats to the queues, write the
    "pay by" mails of orders still unpaid and the reminders due before a hold or an offer runs out, prune rate
    limits and number documents left pending."""
    async with session_maker() as db_session:
        ended = await expire_holds(db_session)
        await db_session.commit()
    async with session_maker() as db_session:
        lapsed, offered = await process_waitlists(db_session, offer_hours=offer_hours)
        await db_session.commit()
    held = 0
    while True:  # "pay by …" for orders still unpaid a little after placing; a batch per transaction
        async with session_maker() as db_session:
            written = await enqueue_held_mails(db_session)
            await db_session.commit()
        held += written
        if written < HELD_MAIL_BATCH:
            break
    async with session_maker() as db_session:
        reminded = await enqueue_reminders(db_session, offer_hours=offer_hours)  # before a hold or offer runs out
        await db_session.commit()
    async with session_maker() as db_session:
        pruned = await rate_limits.prune(db_session)  # counters of ended windows (podium/rate_limits.py)
        await db_session.commit()
    async with session_maker() as db_session:
        numbered = await issue_all_pending(db_session)  # receipts a crash left unnumbered
    if ended:
        logger.info("ended %d expired holds", ended)
    return {
        "holds_ended": ended,
        "offers_lapsed": lapsed,
        "offers_made": offered,
        "held_mails": held,
        "reminders": reminded,
        "rate_limits_pruned": pruned,
        "documents_numbered": numbered,
    }


@job(SWEEP_JOB, every=lambda settings: settings.hold_sweep_seconds, queueing_lock=SWEEP_JOB)
async def sweep_holds(env: JobEnv) -> dict[str, int]:
    """The periodic sweep (``sweep_expired_holds``)."""
    return await sweep_expired_holds(env.session_maker, env.settings.waitlist_offer_hours)


@job(SEND_MAIL_JOB, every=lambda settings: settings.mail_drain_seconds, queueing_lock=SEND_MAIL_JOB)
async def send_due_mail(env: JobEnv) -> int:
    """Send the outbox's due messages (each claimed before it is sent, so workers never send one twice)."""
    sender = sender_for(env.settings)
    deadline = time.monotonic() + MAIL_JOB_BUDGET_SECONDS
    sent = 0
    while True:
        async with env.session_maker() as db_session:
            sent_now = await drain_outbox(db_session, sender, env.settings, batch=MAIL_BATCH)
        sent += sent_now
        if sent_now < MAIL_BATCH:
            break
        if time.monotonic() > deadline:
            await env.defer(SEND_MAIL_JOB)  # more is due: a successor carries on
            break
        await env.spare_cpu()
    if sent:
        logger.info("sent %d mails", sent)
    return sent


@job(NUMBER_DOCUMENTS_JOB, queueing_lock=NUMBER_DOCUMENTS_JOB)
async def number_documents(env: JobEnv) -> int:
    """Number the receipts and credit notes changes recorded pending (PostgreSQL), a batch per transaction:
    the requests that recorded them queued this job instead of numbering them themselves."""
    async with env.session_maker() as db_session:
        return await issue_all_pending(db_session, between_batches=env.spare_cpu)


def _refund_interval(settings: Any) -> float:
    return settings.refund_send_seconds if settings.stripe_secret_key else 0.0


@job(SEND_REFUNDS_JOB, every=_refund_interval, queueing_lock=SEND_REFUNDS_JOB)
async def send_refunds(env: JobEnv) -> int:
    """Send card refunds recorded as pending to Stripe, each under an idempotency key made from its id."""
    if not env.settings.stripe_secret_key:
        return 0
    async with standalone_provider(env.settings) as provider, env.session_maker() as db_session:
        sent = await send_pending_refunds(db_session, provider)
    if sent:
        logger.info("sent %d refunds to Stripe", sent)
    return sent


async def reconcile_payments(
    session_maker: Callable[[], AsyncSession], provider: StripeProvider, *, window: dt.timedelta = RECONCILE_WINDOW
) -> dict[str, int]:
    """Do what lost or failed webhook deliveries left undone, by asking Stripe; a count per outcome.

    Two kinds of payment can be missed: the PaymentIntent an open order (pending, expired, cancelled before
    payment) names, and PaymentIntents its order doesn't name (a second payment, or the intent an order
    named before another paid it), found among Stripe's recent ones by the order id in their metadata.
    Each that succeeded and has no verdict yet (it paid its order, or its refund is claimed) gets the one a
    webhook would have given it, each in a transaction of its own (an order stays locked no longer than its
    verdict, and one that fails leaves the others applied); then every refund recorded as pending is sent.
    No transaction is open while Stripe is asked."""
    counts: Counter[str] = Counter()
    async with session_maker() as db_session:
        open_ids = await open_order_intents(db_session)
        await db_session.commit()
    intents = await succeeded_intents(provider, open_ids, window, counts)
    async with session_maker() as db_session:
        for intent_id in await with_verdict(db_session, list(intents)):
            del intents[intent_id]
        await db_session.commit()
        for intent in intents.values():
            result = await apply_succeeded(db_session, intent)
            await db_session.commit()
            counts[result.outcome.value if result is not None else "not_ours"] += 1
        sent = await send_pending_refunds(db_session, provider)
    if sent:
        counts["refund_sent"] = sent
    return dict(counts)
