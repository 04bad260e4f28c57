"""Rate limits and lockouts counted in the database, so every worker behind the load balancer sees one number.

One row per key (``order-ip:203.0.113.9``, ``login-pair:203.0.113.9|ann@example.org``): the hits in the current
fixed window, when that window ends, and a lock some callers set (the failed-login lockouts).

``count`` moves any number of keys with ONE statement, the same text on PostgreSQL and SQLite: a multi-row
``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING``. What it costs: one round trip (none more in PostgreSQL's
autocommit, the order path's mode), and per key one primary-key index probe and one row update; the row is
locked only while the statement runs, so parallel requests on several workers all count and none is lost.
Keys go in sorted order, so two statements never wait for each other's rows in opposite orders (no deadlock).

A fixed window lets one client spend up to twice a limit across a window boundary; the limits are abuse limits,
sized well above what any person (or a university NAT at opening time) sends, so one counter per key is enough.
Rows of ended windows are deleted by ``prune`` (the hold sweep runs it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Insert, Integer, String, bindparam, case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import utcnow, write_apart
from podium.errors import TooManyRequests
from podium.i18n import ngettext
from podium.statement_cache import CompiledParts, compiled_once, compiled_parts

KEY_LENGTH = 400


class RateLimit(DefaultBase):
    """Hits of one key inside its current window; ``locked_until`` is set by callers that lock a key out."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    window_ends_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``limit`` hits of ``key`` per ``window_seconds``."""

    key: str
    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Count:
    limit: Limit
    hits: int
    window_ends_at: dt.datetime

    @property
    def exceeded(self) -> bool:
        return self.hits > self.limit.limit


def seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    """A Retry-After value: whole seconds, at least 1."""
    return max(1, int((moment - now).total_seconds()) + 1)


async def count(db_session: AsyncSession, limits: Sequence[Limit], now: dt.datetime | None = None) -> list[Count]:
    """Count one hit of every key (one statement, see the module's docstring) and return where each stands.

    The caller decides what a hit means and when it is committed; the hit counts also when the request is
    then refused for another reason, as an attempt should.
    """
    now = now or utcnow()
    counting = Counting.of(limits, now)
    if not counting.values:
        return []
    dialect = (await db_session.connection()).dialect.name
    keys = counting.keys
    statement = compiled_once(dialect, ("rate_limit.count", keys), lambda: _count_statement(dialect, keys))
    return counting.counts((await db_session.execute(statement, counting.values)).tuples())


@dataclass(frozen=True, slots=True)
class Counting:
    """One hit of each of some limits' keys, as ``count``'s upsert binds it: ``values`` (``key<i>``, ``ends<i>``,
    ``now``) and, from the rows it returns, ``counts``."""

    by_key: dict[str, Limit]
    values: dict[str, object]

    @classmethod
    def of(cls, limits: Sequence[Limit], now: dt.datetime) -> Counting:
        by_key = {limit.key[:KEY_LENGTH]: limit for limit in limits}
        values: dict[str, object] = {"now": now} if by_key else {}
        for i, key in enumerate(sorted(by_key)):
            values[f"key{i}"] = key
            values[f"ends{i}"] = now + dt.timedelta(seconds=by_key[key].window_seconds)
        return cls(by_key, values)

    @property
    def keys(self) -> int:
        return len(self.by_key)

    def counts(self, rows: Iterable[tuple[str, int, dt.datetime]]) -> list[Count]:
        return [Count(self.by_key[key], hits, window_ends_at) for key, hits, window_ends_at in rows]


def count_parts(keys: int) -> CompiledParts:
    """``count``'s upsert of ``keys`` keys on PostgreSQL, compiled once, for a statement that counts inside a
    ``WITH`` of its own: placing an order counts in the read it starts with (``registration.orders.snapshot``),
    one round trip and one commit fewer. Its rows are ``key``, ``hits`` and ``window_ends_at``."""
    return compiled_parts("postgresql", ("rate_limit.count", keys), lambda: _count_statement("postgresql", keys))


def _count_statement(dialect: str, keys: int) -> Insert:
    """The upsert of ``count`` for ``keys`` keys, with binds ``key<i>``, ``ends<i>`` and ``now``."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    when = DateTimeUTC(timezone=True)
    statement = insert(RateLimit).values(
        [
            {"key": bindparam(f"key{i}"), "hits": 1, "window_ends_at": bindparam(f"ends{i}", type_=when)}
            for i in range(keys)
        ]
    )
    ended = RateLimit.window_ends_at <= bindparam("now", type_=when)
    return statement.on_conflict_do_update(
        index_elements=[RateLimit.key],
        set_={
            "hits": case((ended, 1), else_=RateLimit.hits + 1),
            "window_ends_at": case((ended, statement.excluded.window_ends_at), else_=RateLimit.window_ends_at),
        },
    ).returning(RateLimit.key, RateLimit.hits, RateLimit.window_ends_at)


async def hit(db_session: AsyncSession, limits: Sequence[Limit], now: dt.datetime | None = None) -> None:
    """Count a hit of every key, then raise ``TooManyRequests`` (429, Retry-After) if any is over its limit.

    The count goes in a transaction of its own (``podium.db.write_apart``), committed before anything else the
    request does: a try counts whether the request then succeeds, is refused or fails. So the caller calls this
    first, before it changes anything. An owner that counts inside its own transaction uses ``count`` and
    ``refuse_over`` (``podium.auth.controllers.attempt_login``, placing an order).
    """
    now = now or utcnow()
    async with write_apart(db_session):
        counts = await count(db_session, limits, now)
    refuse_over(counts, now)


def refuse_over(counts: Sequence[Count], now: dt.datetime) -> None:
    """429 with the longest wait among the counts over their limits; nothing if none is."""
    over = [c for c in counts if c.exceeded]
    if over:
        retry_after = max(seconds_until(c.window_ends_at, now) for c in over)
        detail = ngettext(
            "too many requests; try again in %(num)d second",
            "too many requests; try again in %(num)d seconds",
            retry_after,
        )
        raise TooManyRequests(detail % {"num": retry_after}, retry_after=retry_after)


async def lock(db_session: AsyncSession, keys: Sequence[str], until: dt.datetime) -> None:
    """Lock keys out until ``until`` (their counters stay as they are)."""
    await db_session.execute(
        update(RateLimit)
        .where(RateLimit.key.in_(list(keys)))
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )


async def locked_until(db_session: AsyncSession, keys: Sequence[str], now: dt.datetime) -> dt.datetime | None:
    """The latest lock still standing on any of ``keys``, or None."""
    return await db_session.scalar(
        select(RateLimit.locked_until)
        .where(RateLimit.key.in_(list(keys)), RateLimit.locked_until > now)
        .order_by(RateLimit.locked_until.desc())
        .limit(1)
    )


async def forget(db_session: AsyncSession, keys: Sequence[str]) -> None:
    """Drop keys' counters and locks (a successful login clears its own failures)."""
    await db_session.execute(delete(RateLimit).where(RateLimit.key.in_(list(keys))))


async def prune(db_session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Delete rows whose window and lock have both ended; the caller commits."""
    now = now or utcnow()
    result = await db_session.execute(
        delete(RateLimit).where(
            RateLimit.window_ends_at <= now,
            or_(RateLimit.locked_until.is_(None), RateLimit.locked_until <= now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
