"""The audit trail's one table, in the kernel so every domain (and users, which belong to no event) can write it.

The table keeps its first name, ``state_change``: it began as the order/registration status log, and its old rows
are the start of this trail (migration ``20261203_audit_trail``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base


class AuditEntry(Base):
    """One change: who (``actor`` label, ``actor_user_id``, ``actor_role``), when (``created_at``), what
    (``entity``/``entity_id``, ``action``, ``changes`` as ``{field: [before, after]}``) and why (``note``).

    No foreign keys: an entry outlives the thing it describes (a deleted session, a removed price window).
    ``from_status``/``to_status`` are set for status changes only; ``action`` is the status reached then.
    """

    __tablename__ = "state_change"
    __table_args__ = (
        Index("ix_state_change_entity", "entity", "entity_id"),
        Index("ix_state_change_event_created", "event_id", "created_at"),
    )

    event_id: Mapped[UUID | None] = mapped_column(nullable=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[UUID] = mapped_column()
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    from_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    actor: Mapped[str] = mapped_column(String(340))
    actor_user_id: Mapped[UUID | None] = mapped_column(nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
