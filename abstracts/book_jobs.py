"""The job that draws abstract books (``abstracts.book_builds`` queues them): claim a queued build in one
transaction, read the book's contents, draw it in a thread with no transaction open (it takes seconds), and
store the PDF in a third. Periodic as well, so a build whose wake-up was lost still runs.

The claim is a conditional UPDATE only one worker wins; finishing is conditional on the same request, so a
build asked for again meanwhile (after a stale one) is not overwritten by the older drawing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, cast
from uuid import UUID

import anyio.to_thread
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.book import book_of
from abstracts.book_builds import BUILD_BOOKS_JOB, STALE_AFTER
from abstracts.book_models import AbstractBook, BookState
from abstracts.book_pdf import render_book
from abstracts.models import CallForAbstracts
from events.models import Event
from podium.db import begin_write, utcnow
from podium.jobs import JobEnv, job

logger = logging.getLogger("podium.abstracts.book")

PERIODIC_SECONDS = 120.0


async def claim_build(db_session: AsyncSession) -> tuple[UUID, dt.datetime, str] | None:
    """Take the oldest queued (or stale running) build: its id, when it was asked for and the event's slug;
    None when there is none left. One another worker took first is passed over."""
    while True:
        await begin_write(db_session)
        now = utcnow()
        row = (
            await db_session.execute(
                select(AbstractBook.id, AbstractBook.requested_at, AbstractBook.state, Event.slug)
                .join(CallForAbstracts, CallForAbstracts.id == AbstractBook.call_id)
                .join(Event, Event.id == CallForAbstracts.event_id)
                .where(
                    or_(
                        AbstractBook.state == BookState.QUEUED.value,
                        (AbstractBook.state == BookState.RUNNING.value) & (AbstractBook.started_at < now - STALE_AFTER),
                    )
                )
                .order_by(AbstractBook.requested_at)
                .limit(1)
            )
        ).first()
        if row is None:
            await db_session.commit()
            return None
        book_id, requested_at, state, slug = row
        claimed = await db_session.execute(
            update(AbstractBook)
            .where(AbstractBook.id == book_id, AbstractBook.state == state, AbstractBook.requested_at == requested_at)
            .values(state=BookState.RUNNING.value, started_at=now, updated_at=now)
        )
        await db_session.commit()
        if cast("CursorResult[Any]", claimed).rowcount == 1:
            return book_id, requested_at, slug


async def _finish(db_session: AsyncSession, book_id: UUID, requested_at: dt.datetime, **values: object) -> None:
    await begin_write(db_session)
    now = utcnow()
    await db_session.execute(
        update(AbstractBook)
        .where(
            AbstractBook.id == book_id,
            AbstractBook.state == BookState.RUNNING.value,
            AbstractBook.requested_at == requested_at,
        )
        .values(finished_at=now, updated_at=now, **values)
    )
    await db_session.commit()


async def build_one(env: JobEnv, book_id: UUID, requested_at: dt.datetime, slug: str) -> bool:
    """Draw one claimed build and store it; a failure is stored as the build's error (asking again retries)."""
    try:
        async with env.session_maker() as db_session:
            book = await book_of(db_session, slug)
            await db_session.commit()  # ends the read: no transaction stays open while drawing
        pdf = await anyio.to_thread.run_sync(render_book, book)
    except Exception as exc:
        logger.exception("the abstract book of %s failed", slug)
        async with env.session_maker() as db_session:
            await _finish(db_session, book_id, requested_at, state=BookState.FAILED.value, error=str(exc)[:2000])
        return False
    count = sum(len(section.entries) for section in book.sections)
    async with env.session_maker() as db_session:
        await _finish(
            db_session, book_id, requested_at, state=BookState.DONE.value, pdf=pdf, size=len(pdf), abstracts=count
        )
    logger.info("abstract book of %s: %d abstracts, %d bytes", slug, count, len(pdf))
    return True


@job(BUILD_BOOKS_JOB, every=PERIODIC_SECONDS, queueing_lock=BUILD_BOOKS_JOB)
async def build_books(env: JobEnv) -> int:
    """Draw every queued book, one at a time; how many were drawn."""
    built = 0
    while True:
        async with env.session_maker() as db_session:
            claimed = await claim_build(db_session)
        if claimed is None:
            return built
        built += await build_one(env, *claimed)
