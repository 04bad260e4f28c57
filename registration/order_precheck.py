"""Everything a new order must not collide with, read in one round trip before anything is written.

In a registration rush most orders are refused (the workshop sold out minutes ago), so the refusal must be
cheap: the Idempotency-Key replay, the people already registered, the items with a waitlist queue, the seats
left in each quota the order needs, and whether unpaid holds have run out, all come from one statement
instead of five. Nothing here locks: the seats are decided at commit (``holds.take_and_commit``) and
one-person-per-event by a unique index; this is the early, cheap answer for the usual case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Integer, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import ACTIVE_REGISTRATION_STATUSES

_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_REGISTRATION_STATUSES)

# One row per finding; ``kind`` says which. UNION ALL keeps every branch an index lookup.
_PRECHECK = (
    text(
        f"""
SELECT 1 AS kind, o.id AS ref, o.request_hash AS label, 0 AS n FROM reg_order o
    WHERE o.event_id = :event_id AND o.idempotency_key = :key
UNION ALL
SELECT 2, NULL, r.email, 0 FROM registration r
    WHERE r.event_id = :event_id AND r.email IN :emails AND r.status IN ({_ACTIVE})
UNION ALL
SELECT 3, coalesce(w.category_id, w.add_on_id), NULL, 0 FROM waitlist_entry w
    WHERE w.event_id = :event_id AND w.status = 'waiting'
UNION ALL
SELECT 4, q.id, q.name, q.size - q.used FROM quota q WHERE q.id IN :quota_ids
UNION ALL
SELECT 5, NULL, NULL, 1 WHERE EXISTS (
    SELECT 1 FROM reg_order s WHERE s.status = 'pending' AND s.hold_expires_at <= :now AND s.event_id = :event_id
)"""  # noqa: S608 (only our own status constants are formatted in)
    )
    .bindparams(
        bindparam("event_id", type_=GUID),
        bindparam("key", type_=String),
        bindparam("emails", expanding=True, type_=String),
        bindparam("quota_ids", expanding=True, type_=GUID),
        bindparam("now", type_=DateTimeUTC(timezone=True)),
    )
    .columns(kind=Integer, ref=GUID, label=String, n=Integer)
)


@dataclass
class Precheck:
    replay: tuple[UUID, str] | None = None  # (order id, request hash) of an order with this Idempotency-Key
    registered: set[str] = field(default_factory=set)
    queued: set[UUID] = field(default_factory=set)
    seats_left: dict[UUID, tuple[str, int]] = field(default_factory=dict)  # quota id → (name, seats left)
    stale_holds: bool = False

    def first_short(self, needs: dict[UUID, int]) -> UUID | None:
        """The first quota (in the order seats are taken) without room for what the order needs."""
        return next((q for q in sorted(needs, key=str) if self.seats_left.get(q, ("", 0))[1] < needs[q]), None)


async def precheck(
    db_session: AsyncSession,
    *,
    event_id: UUID,
    idempotency_key: str | None,
    emails: Iterable[str],
    quota_ids: Iterable[UUID],
    now: dt.datetime,
) -> Precheck:
    params = {
        "event_id": event_id,
        "key": idempotency_key,
        "emails": sorted(set(emails)),
        "quota_ids": sorted(set(quota_ids), key=str),
        "now": now,
    }
    found = Precheck()
    for kind, ref, label, n in (await db_session.execute(_PRECHECK, params)).all():
        if kind == 1:
            found.replay = (ref, label)
        elif kind == 2:
            found.registered.add(label)
        elif kind == 3:
            found.queued.add(ref)
        elif kind == 4:
            found.seats_left[ref] = (label, n)
        else:
            found.stale_holds = True
    return found
