"""Asking for the abstract book and reading where its build stands; the job that draws it is
``abstracts.book_jobs``. No commits here: the request or the job owns the transaction.

Asking while a build is queued or running joins it: the call's row is locked first, so two organizers asking
at once find one row and queue one build. A build left ``running`` by a worker that died is taken up again
after ``STALE_AFTER`` (by the job's periodic run, or by the next request).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.book_models import AbstractBook, BookState
from abstracts.decisions import call_of_event
from abstracts.models import CallForAbstracts
from abstracts.status_words import BOOK_STATE_WORDS
from podium.db import begin_write, utcnow
from podium.errors import Conflict, NotFound
from podium.i18n import N_, gettext
from podium.jobs import kick_after_commit

BUILD_BOOKS_JOB = "abstracts.build_books"
# A build running longer than this was left by a worker that stopped (a 1,500-abstract book takes ~10 s).
STALE_AFTER = dt.timedelta(minutes=15)
UNDER_WAY = (BookState.QUEUED.value, BookState.RUNNING.value)


def under_way(book: AbstractBook, now: dt.datetime) -> bool:
    """Queued, or running and not left stale by a stopped worker."""
    if book.state == BookState.QUEUED:
        return True
    return book.state == BookState.RUNNING and book.started_at is not None and book.started_at > now - STALE_AFTER


async def request_book(db_session: AsyncSession, slug: str, *, actor: str) -> tuple[AbstractBook, bool]:
    """Queue a build of the event's book, or join the one under way; the book and whether it was joined."""
    await begin_write(db_session)
    _event, call = await call_of_event(db_session, slug)
    await db_session.execute(select(CallForAbstracts.id).where(CallForAbstracts.id == call.id).with_for_update())
    book = await db_session.scalar(select(AbstractBook).where(AbstractBook.call_id == call.id))
    now = utcnow()
    if book is not None and under_way(book, now):
        return book, True
    if book is None:
        book = AbstractBook(call_id=call.id)
        db_session.add(book)
    book.state = BookState.QUEUED.value
    book.requested_at = now
    book.requested_by = actor
    book.started_at = book.finished_at = None
    book.abstracts = book.size = 0
    book.error = ""
    book.pdf = None
    await db_session.flush()
    kick_after_commit(db_session, BUILD_BOOKS_JOB)
    return book, False


async def book_state(db_session: AsyncSession, slug: str) -> AbstractBook:
    """The event's latest book build (404 naming ``book`` if none was ever asked for)."""
    _event, call = await call_of_event(db_session, slug)
    book = await db_session.scalar(select(AbstractBook).where(AbstractBook.call_id == call.id))
    if book is None:
        raise NotFound(N_("no abstract book has been asked for yet: POST to start one"), field="book")
    return book


async def book_pdf(db_session: AsyncSession, slug: str) -> bytes:
    """The finished book (409 ``book_not_ready`` while it is queued, running or failed)."""
    book = await book_state(db_session, slug)
    if book.state != BookState.DONE:
        raise Conflict(
            gettext("the abstract book is %(state)s, not finished") % {"state": gettext(BOOK_STATE_WORDS[book.state])},
            field="book",
            code="book_not_ready",
        )
    pdf = await db_session.scalar(select(AbstractBook.pdf).where(AbstractBook.id == book.id))
    if pdf is None:  # a new build started between the two reads
        raise Conflict(N_("the abstract book is being built again"), field="book", code="book_not_ready")
    return pdf
