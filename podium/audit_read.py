"""Reading the audit trail: filters, newest-first pages with a cursor, and CSV. The routes that scope it (to an
event, an order, a registration, or the entries that belong to no event) live with those things.

The cursor is the id of the last entry of the page before, so a page never skips or repeats an entry written
while someone reads (entries are ordered by time, then id, and never change).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.audit_models import AuditEntry
from podium.errors import NotFound
from podium.i18n import N_
from podium.schema import Struct
from podium.spreadsheet import to_cell

# Filter shapes, shared by every audit route (query parameters) and the page's form.
ENTITY_PATTERN = r"^[a-z][a-z_]{0,31}$"
ACTION_PATTERN = r"^[a-z0-9][a-z0-9_]{0,31}$"
ACTOR_PATTERN = r"^[^\x00-\x1f\x7f]{1,340}$"
Role = Literal["organizer", "staff", "member", "attendee", "system", "job"]
MAX_PAGE = 500
MAX_CSV_ROWS = 50_000


class AuditEntryRead(Struct):
    """One change: what (entity, id, action, ``changes`` as ``{field: [before, after]}``), who, when, why."""

    id: UUID
    created_at: dt.datetime
    event_id: UUID | None
    entity: str
    entity_id: UUID
    action: str
    changes: dict[str, list[Any]]
    from_status: str | None
    to_status: str | None
    actor: str
    actor_user_id: UUID | None
    actor_role: str | None
    note: str


class AuditPage(Struct):
    """Newest first; ``next_cursor`` continues with older entries (null on the last page)."""

    entries: list[AuditEntryRead]
    next_cursor: Annotated[UUID | None, msgspec.Meta(description="pass as ?cursor= for the next page")] = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a reader narrows the trail to; every field is optional. ``actor`` matches inside the label."""

    entity: str | None = None
    entity_id: UUID | None = None
    action: str | None = None
    actor: str | None = None
    role: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.entity:
            found.append(AuditEntry.entity == self.entity)
        if self.entity_id:
            found.append(AuditEntry.entity_id == self.entity_id)
        if self.action:
            found.append(AuditEntry.action == self.action)
        if self.actor:
            # A plain "contains": LIKE's own wildcards in the text are matched literally.
            escaped = self.actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.append(AuditEntry.actor.ilike(f"%{escaped}%", escape="\\"))
        if self.role:
            found.append(AuditEntry.actor_role == self.role)
        if self.since:
            found.append(AuditEntry.created_at >= _utc(self.since))
        if self.until:
            found.append(AuditEntry.created_at < _utc(self.until))
        return found


def _utc(value: dt.datetime) -> dt.datetime:
    """A time without an offset is taken as UTC (the column refuses naive times)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def read(entry: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead(
        id=entry.id,
        created_at=entry.created_at,
        event_id=entry.event_id,
        entity=entry.entity,
        entity_id=entry.entity_id,
        action=entry.action,
        changes=dict(entry.changes or {}),
        from_status=entry.from_status,
        to_status=entry.to_status,
        actor=entry.actor,
        actor_user_id=entry.actor_user_id,
        actor_role=entry.actor_role,
        note=entry.note,
    )


async def page(
    db_session: AsyncSession,
    scope: Sequence[ColumnElement[bool]],
    filters: AuditFilter,
    *,
    limit: int = 100,
    cursor: UUID | None = None,
) -> AuditPage:
    """One page of the entries in ``scope`` that match ``filters``, newest first, after ``cursor``."""
    query = select(AuditEntry).where(*scope, *filters.conditions())
    if cursor is not None:
        last = (
            await db_session.execute(
                select(AuditEntry.created_at, AuditEntry.id).where(AuditEntry.id == cursor, *scope)
            )
        ).first()
        if last is None:
            raise NotFound(N_("no such entry to continue after"), field="cursor")
        query = query.where(
            or_(
                AuditEntry.created_at < last.created_at,
                and_(AuditEntry.created_at == last.created_at, AuditEntry.id < last.id),
            )
        )
    query = query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(min(limit, MAX_PAGE) + 1)
    rows = list((await db_session.scalars(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(entries=[read(r) for r in rows], next_cursor=rows[-1].id if more and rows else None)


async def entries(
    db_session: AsyncSession, scope: Sequence[ColumnElement[bool]], filters: AuditFilter, *, limit: int = MAX_CSV_ROWS
) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(*scope, *filters.conditions())
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list((await db_session.scalars(query)).all())


CSV_COLUMNS = ("time", "entity", "entity_id", "action", "changes", "actor", "actor_role", "note")


def render_csv(rows: Sequence[AuditEntry], timezone: str) -> str:
    """The entries as CSV, times in the event's zone; every cell formula-safe (``podium.spreadsheet``)."""
    zone = zoneinfo.ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        changes = msgspec.json.encode(row.changes or {}).decode()
        writer.writerow(
            [
                to_cell(value)
                for value in (
                    row.created_at.astimezone(zone).isoformat(timespec="seconds"),
                    row.entity,
                    row.entity_id,
                    row.action,
                    changes,
                    row.actor,
                    row.actor_role or "",
                    row.note,
                )
            ]
        )
    return out.getvalue()


def describe(changes: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(field, before, after)`` as text, for pages: absent values shown as an em dash."""

    def text(value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):
            return value
        return msgspec.json.encode(value).decode()

    return [(field, text(pair[0]), text(pair[1])) for field, pair in changes.items() if len(pair) == 2]
