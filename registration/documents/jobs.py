"""Numbering what is pending, as the owner of its transactions: the number job and the hold sweep call this.

One transaction per batch per event, committed here: the event's counter row stays locked only while one
batch is numbered, so a download or a mail that needs a number waits for a batch, never for a whole rush.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.documents.numbers import BATCH, issue_pending_documents
from registration.models import Document


async def issue_all_pending(
    db_session: AsyncSession, *, between_batches: Callable[[], Awaitable[object]] | None = None
) -> int:
    """Number whatever is pending, event by event: the job changes queue, and the sweep for anything a lost
    job left. ``between_batches`` is awaited after each full batch, outside any transaction (the job's
    ``spare_cpu``)."""
    events = (await db_session.scalars(select(Document.event_id).where(Document.number.is_(None)).distinct())).all()
    await db_session.commit()
    issued = 0
    for event_id in events:
        while count := await issue_pending_documents(db_session, event_id):
            await db_session.commit()
            issued += count
            if count < BATCH:
                break
            if between_batches is not None:
                await between_batches()
        await db_session.commit()  # a last round that found nothing left ends its transaction too
    return issued
