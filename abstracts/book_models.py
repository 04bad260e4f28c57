"""The abstract book as a stored build: one row per call, its state, and the finished PDF.

A 1,500-abstract book takes seconds to draw, too long for a request, so a request asks for a build and a job
draws it (``abstracts.book_jobs``). The row is the durable part (a lost wake-up costs a delay until the job's
periodic run, never the build); the PDF lives in the database like badge logos, so every worker serves it.
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class BookState(enum.StrEnum):
    QUEUED = "queued"  # asked for; the job has not started it
    RUNNING = "running"
    DONE = "done"  # ``pdf`` holds the book
    FAILED = "failed"  # ``error`` says why; asking again starts over


class AbstractBook(Base):
    """The call's latest book build. Asking while one is queued or running joins it (no second build)."""

    __tablename__ = "abstract_book"
    __table_args__ = (
        CheckConstraint(in_sql("state", BookState), name="state"),
        CheckConstraint("abstracts >= 0", name="abstracts"),
    )

    call_id: Mapped[UUID] = mapped_column(ForeignKey("call_for_abstracts.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(8), default=BookState.QUEUED.value)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    requested_by: Mapped[str] = mapped_column(String(320), default="")
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # How many abstracts the finished book holds, and its size in bytes.
    abstracts: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
