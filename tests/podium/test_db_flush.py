"""``flush_at_once`` writes what a flush would, as a flush leaves it: on PostgreSQL in one statement, with the
session's flush hooks around it; what it can't write exactly as the ORM would goes through an ordinary flush."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import String, event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from events.models import Event, Room
from podium.db import create_engine, listen_on
from podium.db_flush import _changed_columns, _insertable, _statement, flush_at_once
from podium.db_unnest import UnnestUpdate
from podium.main.unit_of_work import session_maker
from podium.outbox import Mail
from podium.outbox_models import OutboxMessage
from podium.settings import Settings


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
def maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_maker(engine)


def _event(slug: str, **values: Any) -> Event:
    return Event(
        slug=slug, name="Flush Meeting", kind="workshop", timezone="UTC", venue="Hall", city="Basel",
        currency="CHF", start_date=dt.date(2027, 5, 3), end_date=dt.date(2027, 5, 4), status="draft", **values,
    )  # fmt: skip


async def _saved_event(maker: async_sessionmaker[AsyncSession], slug: str) -> Event:
    async with maker() as db_session:
        meeting = _event(slug, default_locale="en", translations={})
        db_session.add(meeting)
        await db_session.commit()
    return meeting


def _mail(key: str) -> OutboxMessage:
    return OutboxMessage(
        **Mail(dedupe_key=key, to="ada@example.org", template="order_held", context={"n": key}).values()
    )


async def _mail_id(db_session: AsyncSession, key: str) -> Any:
    return await db_session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))


class _Statements:
    """The statements an engine runs while counted."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seen.append(statement)


async def test_new_and_changed_rows_are_written_and_left_as_a_flush_leaves_them(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession]
) -> None:
    meeting = await _saved_event(maker, "flush-one")
    before = meeting.updated_at
    statements = _Statements(engine)

    async with maker() as db_session:
        loaded = await db_session.get(Event, meeting.id)
        assert loaded is not None
        await db_session.execute(text("SELECT 1"))  # the transaction is open before counting starts
        statements.seen.clear()
        loaded.name = "Renamed Meeting"
        mails = [_mail("flush-a"), _mail("flush-b")]
        db_session.add_all(mails)
        await flush_at_once(db_session)
        written = list(statements.seen)

        assert not db_session.new and not db_session.dirty
        assert all(inspect(m).persistent and not inspect(m).modified for m in [*mails, loaded])
        assert loaded.updated_at > before  # the timestamp hook ran, as before a flush
        await db_session.commit()

    if engine.dialect.name == "postgresql":
        assert len(written) == 1 and written[0].startswith("WITH ")
    async with maker() as db_session:
        name, updated_at = (await db_session.execute(select(Event.name, Event.updated_at))).one()
        rows = (await db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.dedupe_key))).all()
    assert (name, updated_at) == ("Renamed Meeting", loaded.updated_at)
    assert [(m.dedupe_key, m.context, m.status, m.attachments) for m in rows] == [
        ("flush-a", {"n": "flush-a"}, "pending", []),
        ("flush-b", {"n": "flush-b"}, "pending", []),
    ]


@pytest.mark.parametrize("rows", [3, UnnestUpdate.ROW_BY_ROW + 1], ids=["row by row", "joined"])
async def test_each_changed_row_of_a_table_gets_its_own_values(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession], rows: int
) -> None:
    """Several rows of one table changing the same columns: row by row up to ``ROW_BY_ROW``, one joined
    UPDATE past it; either way each row gets its values, JSON included, in the one statement."""
    keys = [f"flush-many-{rows}-{n:02}" for n in range(rows)]
    async with maker() as db_session:
        db_session.add_all(_mail(key) for key in keys)
        await db_session.commit()
    statements = _Statements(engine)

    async with maker() as db_session:
        mails = (await db_session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.in_(keys)))).all()
        statements.seen.clear()
        for mail in mails:
            mail.attempts = int(mail.dedupe_key[-2:]) + 1
            mail.context = {"n": mail.dedupe_key, "tried": True}
        await flush_at_once(db_session)
        written = list(statements.seen)
        await db_session.commit()

    if engine.dialect.name == "postgresql":
        assert len(written) == 1 and written[0].startswith("WITH ")
    async with maker() as db_session:
        stored = (
            await db_session.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.attempts, OutboxMessage.context)
                .where(OutboxMessage.dedupe_key.in_(keys))
                .order_by(OutboxMessage.dedupe_key)
            )
        ).all()
    assert stored == [(key, n + 1, {"n": key, "tried": True}) for n, key in enumerate(keys)]


async def test_a_changed_row_is_found_by_its_key_in_the_plan_postgresql_keeps(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession]
) -> None:
    """PostgreSQL plans a statement a connection prepares once and keeps the plan (its generic plan). A row's
    UPDATE must probe the primary key in that plan, not read the table: the joined form, whose plan guesses
    ten rows in the arrays, read all of a table this size (and a payment's, all of its orders and
    registrations)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL plan")
    async with maker() as db_session:
        db_session.add_all(_mail(f"flush-plan-{n:03}") for n in range(300))
        await db_session.commit()
    _, _, sql = _statement(((), ((OutboxMessage, ("attempts",), 1),)))

    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute("ANALYZE outbox_message; SET plan_cache_mode = force_generic_plan")
        await raw.execute(f"PREPARE changed_row AS {sql}")
        plan = "\n".join(row[0] for row in await raw.fetch(f"EXPLAIN EXECUTE changed_row('{{{uuid4()}}}', '{{1}}')"))
        await raw.execute("DEALLOCATE changed_row; RESET plan_cache_mode")

    assert "Index Scan using pk_outbox_message on outbox_message" in plan
    assert "Seq Scan" not in plan


async def test_a_rollback_after_it_forgets_the_new_rows_and_expires_the_changed_ones(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    meeting = await _saved_event(maker, "flush-rollback")

    async with maker() as db_session:
        loaded = await db_session.get(Event, meeting.id)
        assert loaded is not None
        loaded.name = "Never Renamed"
        mail = _mail("flush-rolled-back")
        db_session.add(mail)
        await flush_at_once(db_session)
        await db_session.rollback()

        assert inspect(mail).transient or inspect(mail).detached
        assert await db_session.scalar(select(Event.name).where(Event.id == meeting.id)) == "Flush Meeting"
        assert await _mail_id(db_session, mail.dedupe_key) is None


async def test_a_row_deleted_meanwhile_fails_as_stale_and_nothing_is_written(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no other transaction deletes the row meanwhile")
    meeting = await _saved_event(maker, "flush-stale")

    async with maker() as db_session:
        loaded = await db_session.get(Event, meeting.id)
        assert loaded is not None
        async with engine.begin() as other:  # another transaction removes the row this one changes
            await other.execute(text("DELETE FROM event WHERE slug = 'flush-stale'"))
        loaded.name = "Gone Meeting"
        db_session.add(_mail("flush-stale-mail"))
        with pytest.raises(StaleDataError):
            await flush_at_once(db_session)
        await db_session.rollback()

    async with maker() as db_session:
        assert (
            await db_session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "flush-stale-mail"))
            is None
        )


async def test_what_it_cannot_write_as_the_orm_would_goes_through_an_ordinary_flush(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession]
) -> None:
    statements = _Statements(engine)
    async with maker() as db_session:
        await db_session.execute(text("SELECT 1"))
        statements.seen.clear()
        # Columns left unset where the database has a default: the ORM leaves them out for the default to apply.
        meeting = _event("flush-defaults")
        db_session.add_all([meeting, _mail("flush-defaults-mail")])
        await flush_at_once(db_session)
        written = list(statements.seen)
        await db_session.commit()

    assert len(written) == 2 and not any(s.startswith("WITH ") for s in written)  # one INSERT per table
    async with maker() as db_session:
        locale, version = (
            await db_session.execute(select(Event.default_locale, Event.program_version).where(Event.id == meeting.id))
        ).one()
    assert (locale, version) == ("en", 0)


async def test_the_sessions_flush_hooks_run_around_it_as_around_a_flush(engine: AsyncEngine) -> None:
    maker = session_maker(engine)
    heard: list[tuple[str, int, int]] = []

    def before(session: Session, *_: Any) -> None:
        heard.append(("before_flush", len(session.new), len(session.dirty)))
        session.add(_mail("flush-added-by-a-hook"))  # what a hook adds is written too

    def after(session: Session, *_: Any) -> None:
        heard.append(("after_flush_postexec", len(session.new), len(session.dirty)))

    listen_on(maker, [("before_flush", before), ("after_flush_postexec", after)])
    async with maker() as db_session:
        db_session.add(_mail("flush-with-hooks"))
        await flush_at_once(db_session)
        await db_session.commit()
        assert await _mail_id(db_session, "flush-added-by-a-hook") is not None

    assert heard[:2] == [("before_flush", 1, 0), ("after_flush_postexec", 0, 0)]


async def test_a_constraint_it_breaks_fails_as_integrity_error_and_nothing_is_written(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    async with maker() as db_session:
        db_session.add_all([_mail("flush-twice"), _mail("flush-twice"), _mail("flush-beside-them")])
        with pytest.raises(IntegrityError):
            await flush_at_once(db_session)
        await db_session.rollback()
        assert await _mail_id(db_session, "flush-beside-them") is None


async def test_a_deleted_row_alone_is_flushed_too(maker: async_sessionmaker[AsyncSession]) -> None:
    async with maker() as db_session:
        mail = _mail("flush-deleted")
        db_session.add(mail)
        await db_session.commit()
        await db_session.delete(mail)
        await flush_at_once(db_session)

        assert not db_session.deleted
        with db_session.no_autoflush:
            assert await _mail_id(db_session, "flush-deleted") is None
        await db_session.commit()


async def test_a_changed_relationship_goes_through_an_ordinary_flush(
    engine: AsyncEngine, maker: async_sessionmaker[AsyncSession]
) -> None:
    """A room moved to another event by its relationship (the flush sets its foreign key): a change of a row
    already written that it would miss if it looked only at the columns set."""
    first, second = await _saved_event(maker, "flush-room-from"), await _saved_event(maker, "flush-room-to")
    async with maker() as db_session:
        db_session.add(Room(event_id=first.id, name="Hall A", capacity=80))
        await db_session.commit()
    statements = _Statements(engine)
    async with maker() as db_session:
        room = await db_session.scalar(select(Room).options(selectinload(Room.event)))
        target = await db_session.get(Event, second.id, options=[selectinload(Event.rooms)])
        assert room is not None and target is not None
        statements.seen.clear()
        room.event = target
        await flush_at_once(db_session)
        written = list(statements.seen)
        await db_session.commit()

    assert written and not any(s.startswith("WITH ") for s in written)
    async with maker() as db_session:
        assert (await db_session.execute(select(Room.name, Room.event_id))).all() == [("Hall A", second.id)]


def test_an_sql_onupdate_leaves_changes_to_the_flush_but_not_new_rows() -> None:
    """A column whose ``onupdate`` is SQL: a change can't be written with the value on the object, so it goes
    through the flush; a new row never runs ``onupdate``, so it is still written at once."""

    class Base(DeclarativeBase):
        pass

    class Stamped(Base):
        __tablename__ = "stamped"
        id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        touched: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), onupdate=func.now())

    row = Stamped(id=uuid4(), name="new", touched=None)
    assert _insertable(inspect(row))
    set_committed_value(row, "name", "old")
    row.name = "renamed"
    assert _changed_columns(inspect(row)) is None
