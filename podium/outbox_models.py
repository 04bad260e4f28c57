"""The mail outbox's one table, in the kernel so every domain writes its mail into it (``podium.outbox``).

The class moved here from registration; the table, its name and its constraints are unchanged.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class MailStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for (or between) sending attempts
    SENT = "sent"
    FAILED = "failed"  # gave up after its attempts
    SUPERSEDED = "superseded"  # what it says stopped being true before it went out


class OutboxMessage(Base):
    """Mail to send, written in the same transaction as the change it reports; a worker drains it.

    A message is a template name and its JSON context, rendered when sent (``podium.mail``); ``subject``
    and ``body_text`` are only for rows written before templates (and keep the subject once sent).
    ``superseded``: what it says stopped being true before it went out (a hold reminder for a paid order).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(in_sql("status", MailStatus), name="status"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64), default="")
    context: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    # Attachments are rendered when sent (e.g. "receipt:<order id>"), not stored here.
    attachments: Mapped[list[str]] = mapped_column(JsonB, default=list)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
