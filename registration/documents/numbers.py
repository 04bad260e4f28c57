"""Numbering receipts and credit notes: one gap-free series per event, taken under the event's counter row lock.

Changes record their documents pending (``registration.documents.services``); these number them. Whoever calls them owns
a short transaction for it and commits at once: the number job (``registration.documents.jobs``), a download or
the order page (``ensure_documents_issued``), the mail sender attaching a receipt. Only that transaction holds
the counter's row lock, so a payment never waits on another payment's receipt. On SQLite a change numbers its
own documents in its own transaction (its one write lock is held already).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write, utcnow
from registration.models import Document, DocumentCounter

# At most this many documents are numbered per transaction; the rest in the next one.
BATCH = 200


async def _lock_counter(db_session: AsyncSession, event_id: UUID, *, wait: bool = True) -> int | None:
    """The event's last number, with its counter row locked until this transaction ends (created if new).

    ``wait=False``: None at once when another transaction holds the lock (PostgreSQL; SQLite's one writer
    already waited in ``begin_write``)."""
    query = select(DocumentCounter.last_number).where(DocumentCounter.event_id == event_id)
    last = await db_session.scalar(query.with_for_update(skip_locked=not wait))
    if last is not None:
        return last
    if not wait and await db_session.scalar(query) is not None:
        return None  # it exists and someone is numbering right now
    dialect = db_session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await db_session.execute(insert(DocumentCounter).values(event_id=event_id, last_number=0).on_conflict_do_nothing())
    return await db_session.scalar(query.with_for_update()) or 0


async def issue_pending_documents(
    db_session: AsyncSession, event_id: UUID, *, now: dt.datetime | None = None, wait: bool = True
) -> int:
    """Number up to ``BATCH`` of the event's pending documents; returns how many. The caller commits at once:
    the event's counter row stays locked until then.

    Oldest first, a credit note before the receipt recorded with it. The counter's row lock serializes the
    numbering of one event. With ``wait=False`` nothing is done while another transaction numbers the event's
    documents (0): that one, the next, the sweep or whoever needs the number (``ensure_documents_issued``)
    numbers ours. A read-only transaction still open is ended first (``begin_write``).
    """
    await begin_write(db_session)
    count = await number_pending(db_session, event_id, now or utcnow(), wait=wait)
    await db_session.flush()
    return count


async def number_pending(db_session: AsyncSession, event_id: UUID, now: dt.datetime, *, wait: bool) -> int:
    """Number the event's pending documents in the caller's transaction, under the counter's row lock (a
    change on SQLite calls this itself, holding the write lock already)."""
    last = await _lock_counter(db_session, event_id, wait=wait)
    if last is None:
        return 0
    pending = (
        await db_session.scalars(
            select(Document)
            .where(Document.event_id == event_id, Document.number.is_(None))
            .order_by(Document.created_at, Document.kind, Document.id)
            .limit(BATCH)
            # A pending receipt a writer is rewriting (a transfer, a refund) is left to the next batch: waiting
            # for it while holding the batch's rows deadlocked against that writer (PostgreSQL, seen in CI).
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    for document in pending:
        last += 1
        document.number = last
        document.issued_at = now
    if pending:
        await db_session.execute(
            update(DocumentCounter).where(DocumentCounter.event_id == event_id).values(last_number=last)
        )
    return len(pending)
