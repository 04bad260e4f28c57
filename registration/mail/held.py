"""The buyer's "pay by …" mail, written by the periodic sweep for orders still unpaid when it fell due.

A new order only notes when the mail falls due (``Order.held_mail_due_at``, ``order_mail.held_mail_due``): most
orders are paid on the page they were placed on, before then, and never have the mail written. Each due order
is claimed by clearing that mark in the transaction that writes its mail, the rows locked and skipped by any
other sweep or payment holding them (PostgreSQL), or behind the write lock (SQLite), so the mail is written once
however many workers sweep; its dedupe key makes a repeat a no-op as well. Paid, expired or cancelled orders
are not pending and are never mailed; an order being paid by bank transfer has its invoice instead. If the
order is paid after its mail was written, the outbox supersedes it (``order_mail.STILL_TRUE_CHECKS``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write, utcnow
from podium.outbox import Mail, enqueue_all
from registration.documents.order_facts import load_order_facts
from registration.mail.order_mail import order_held_mail
from registration.models import Order, OrderStatus

BATCH = 200


async def enqueue_held_mails(db_session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Write the "pay by" mails due by ``now`` (the caller commits); returns how many were written."""
    now = now or utcnow()
    await begin_write(db_session)
    orders = (
        await db_session.scalars(
            select(Order)
            .where(
                Order.status == OrderStatus.PENDING,
                Order.held_mail_due_at <= now,
                Order.payment_reference.is_(None),
            )
            .order_by(Order.held_mail_due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    mails: list[Mail] = []
    for order in orders:
        order.held_mail_due_at = None  # the claim, flushed before the mail is written
        facts = await load_order_facts(db_session, order)
        mails.append(order_held_mail(facts.event, order, facts.registrations, facts.categories, facts.add_ons))
    await db_session.flush()
    await enqueue_all(db_session, mails)
    return len(mails)
