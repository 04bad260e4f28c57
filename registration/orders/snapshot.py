"""Everything placing an order needs to know from the database, in one round trip, before the order is written.

In a registration rush most orders are refused (the workshop sold out minutes ago), so a refusal must be
cheap. One statement reads, for the event named in the URL: the event's status and last change (so the
worker's copy of the event can be reused), the catalog's fingerprint (so can its copy of the catalog), the
order already placed under this Idempotency-Key, the people in the order already registered (paid, or only
held by an unpaid order), the items with a waitlist queue, the seats left in every quota, whether unpaid holds
have run out, and how many unpaid holds the buyer's email and the client's address have open (the cap on
holds; read without locks, so orders racing from one buyer can pass it together: the rate limits bound how
many). Nothing here locks: seats are decided by the counters' conditional UPDATEs (``holds``) and
one-person-per-event by a unique index; this is the early, cheap answer for the usual case.

On PostgreSQL in autocommit the same statement also counts the order's rate limits (``rate_limits.count_parts``
as a data-modifying ``WITH``) and commits the count by itself, whatever the order then comes to; each counted
key's row is locked only while the statement runs, as with ``rate_limits.count``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import BindParameter, Integer, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeEngine

from events.models import Event
from events.services import get_event
from podium import rate_limits
from podium.enums import quoted
from registration.models import ACTIVE_REGISTRATION_STATUSES, Quota
from registration.orders.validation import CATALOG_STAMP_ROWS, catalog_stamp

_ACTIVE = quoted(ACTIVE_REGISTRATION_STATUSES)
_EVENT = "(SELECT id FROM e)"
# The model's own definition of seats left, compiled (it names only the quota table's columns).
_SEATS_LEFT = str(Quota.seats_left.compile(compile_kwargs={"literal_binds": True}))

# The holds still open among a buyer's (or an address's) unpaid orders, and when the first of them ends. The
# expiry is an aggregate's filter, not the lookup's: each open-hold lookup of ``reg_order`` below implies the
# predicate of one partial index only (``registration.models.orders``), the one a generic plan must then take.
_STILL_OPEN = "FILTER (WHERE o.hold_expires_at > :now)"
_OPEN = f"count(*) {_STILL_OPEN}, min(o.hold_expires_at) {_STILL_OPEN}"

# One row per finding; ``kind`` says which. UNION ALL keeps every branch an index lookup.
_FINDINGS = f"""
SELECT 0 AS kind, e.id AS ref, e.status AS label, 0 AS n, e.updated_at AS at FROM e
UNION ALL SELECT 1, o.id, o.request_hash, 0, NULL FROM reg_order o
    WHERE o.event_id = {_EVENT} AND o.idempotency_key = :key
UNION ALL SELECT 2, CASE WHEN r.status = 'held' THEN r.order_id END, r.email, 0, NULL FROM registration r
    WHERE r.event_id = {_EVENT} AND r.email IN :emails AND r.status IN ({_ACTIVE})
UNION ALL SELECT 3, coalesce(w.category_id, w.add_on_id), NULL, 0, NULL FROM waitlist_entry w
    WHERE w.event_id = {_EVENT} AND w.status = 'waiting'
UNION ALL SELECT 4, quota.id, quota.name, {_SEATS_LEFT}, NULL FROM quota WHERE quota.event_id = {_EVENT}
UNION ALL SELECT 5, NULL, NULL, 1, NULL WHERE EXISTS (
    SELECT 1 FROM reg_order s WHERE s.status = 'pending' AND s.hold_expires_at <= :now AND s.event_id = {_EVENT})
UNION ALL SELECT 6, NULL, stamp.part, stamp.n, stamp.at FROM ({CATALOG_STAMP_ROWS.format(event=_EVENT)}) stamp
UNION ALL SELECT 7, NULL, 'email', {_OPEN} FROM reg_order o
    WHERE o.event_id = {_EVENT} AND o.status = 'pending' AND o.buyer_email = :buyer
UNION ALL SELECT 7, NULL, 'address', {_OPEN} FROM reg_order o
    WHERE o.event_id = {_EVENT} AND o.status = 'pending' AND o.client_address = :address"""  # noqa: S608 (only our own SQL and constants are formatted in)
_EVENT_ROW = "e AS (SELECT id, status, updated_at FROM event WHERE slug = :slug)"
_BINDS: tuple[BindParameter[Any], ...] = (
    bindparam("slug", type_=String),
    bindparam("key", type_=String),
    bindparam("emails", expanding=True, type_=String),
    bindparam("now", type_=DateTimeUTC(timezone=True)),
    bindparam("buyer", type_=String),
    bindparam("address", type_=String),
)
_COLUMNS: dict[str, type[TypeEngine[Any]] | TypeEngine[Any]] = {
    "kind": Integer,
    "ref": GUID,
    "label": String,
    "n": Integer,
    "at": DateTimeUTC(timezone=True),
}
_COUNTED = 8  # the kind of the rows of the rate limits counted in the same statement
_SNAPSHOT = text(f"WITH {_EVENT_ROW}{_FINDINGS}").bindparams(*_BINDS).columns(**_COLUMNS)


@functools.cache
def _counting_snapshot(keys: int) -> TextualSelect:
    """The snapshot that also counts a hit of ``keys`` rate-limit keys (PostgreSQL): ``rate_limits.count``'s
    upsert as a data-modifying ``WITH``, its rows as findings of their own."""
    upsert = rate_limits.count_parts(keys)
    counted = f"\nUNION ALL SELECT {_COUNTED}, NULL, c.key, c.hits, c.window_ends_at FROM counted c"  # noqa: S608 (only the constant _COUNTED)
    sql = f"WITH counted AS ({upsert.sql}), {_EVENT_ROW}{_FINDINGS}{counted}"
    binds = [*_BINDS, *(bind for bind in upsert.binds if bind.key != "now")]  # the same instant for both
    return text(sql).bindparams(*binds).columns(**_COLUMNS)


@dataclass
class Snapshot:
    event_id: UUID | None = None
    event_status: str = ""
    event_changed_at: dt.datetime | None = None
    replay: tuple[UUID, str] | None = None  # (order id, request hash) of an order with this Idempotency-Key
    registered: set[str] = field(default_factory=set)  # emails with a paid (or free) registration
    held: dict[str, UUID] = field(default_factory=dict)  # email → the unpaid order holding a place for it
    queued: set[UUID] = field(default_factory=set)
    seats_left: dict[UUID, tuple[str, int]] = field(default_factory=dict)  # quota id → (name, seats left)
    stale_holds: bool = False
    stamp_rows: list[tuple[str, int | None, dt.datetime | None]] = field(default_factory=list)
    # "email" (the buyer's) and "address" → (unpaid holds open at this event, when the first of them ends)
    open_holds: dict[str, tuple[int, dt.datetime | None]] = field(default_factory=dict)
    # The rate-limit keys counted by the same statement (``read_snapshot``'s ``counting``): key, hits, window end
    counted: list[tuple[str, int, dt.datetime]] = field(default_factory=list)

    @property
    def catalog_stamp(self) -> tuple[Any, ...]:
        return catalog_stamp(self.stamp_rows)

    def first_short(self, needs: dict[UUID, int]) -> UUID | None:
        """The first quota (in the order seats are taken) without room for what the order needs."""
        return next((q for q in sorted(needs, key=str) if self.seats_left.get(q, ("", 0))[1] < needs[q]), None)


async def read_snapshot(
    db_session: AsyncSession,
    *,
    slug: str,
    idempotency_key: str | None,
    emails: Iterable[str],
    now: dt.datetime,
    buyer_email: str | None = None,
    client_address: str | None = None,
    counting: rate_limits.Counting | None = None,
) -> Snapshot:
    """The snapshot; with ``counting`` (PostgreSQL only), the same statement counts those rate-limit hits too, so
    in autocommit they are committed by it whatever the order then comes to."""
    params: dict[str, object] = {
        "slug": slug,
        "key": idempotency_key,
        "emails": sorted(set(emails)),
        "now": now,
        "buyer": buyer_email,
        "address": client_address,
    }
    statement = _SNAPSHOT
    if counting is not None and counting.values:
        statement = _counting_snapshot(counting.keys)
        params |= counting.values
    found = Snapshot()
    for kind, ref, label, n, at in (await db_session.execute(statement, params)).tuples():
        if kind == 0:
            found.event_id, found.event_status, found.event_changed_at = ref, label, at
        elif kind == 1:
            found.replay = (ref, label)
        elif kind == 2 and ref is not None:
            found.held[label] = ref
        elif kind == 2:
            found.registered.add(label)
        elif kind == 3:
            found.queued.add(ref)
        elif kind == 4:
            found.seats_left[ref] = (label, n)
        elif kind == 5:
            found.stale_holds = True
        elif kind == 6:
            found.stamp_rows.append((label, n, at))
        elif kind == _COUNTED:
            found.counted.append((label, n, at))
        else:
            found.open_holds[label] = (n, at)
    return found


# The event row changes rarely; each worker keeps the last copy it loaded per slug, detached and read-only,
# and uses it only while the snapshot shows the same id and last change.
_EVENT_CACHE_SIZE = 32
_events: OrderedDict[str, Event] = OrderedDict()


async def event_of(db_session: AsyncSession, slug: str, snapshot: Snapshot, *, published_only: bool) -> Event:
    """The order's event: the worker's copy if the snapshot shows it unchanged, else loaded (and kept)."""
    if snapshot.event_id is None or (published_only and snapshot.event_status != "published"):
        return await get_event(db_session, slug, published_only=published_only, with_children=False)  # 404s
    cached = _events.get(slug)
    if cached is not None and cached.id == snapshot.event_id and cached.updated_at == snapshot.event_changed_at:
        _events.move_to_end(slug)
        return cached
    event = await get_event(db_session, slug, published_only=published_only, with_children=False)
    if event.updated_at == snapshot.event_changed_at:
        db_session.expunge(event)
        _events[slug] = event
        while len(_events) > _EVENT_CACHE_SIZE:
            _events.popitem(last=False)
    return event
