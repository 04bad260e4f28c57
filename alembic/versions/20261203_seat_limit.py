"""seat limit: program_session.seat_limit, kept by triggers and bounded by a CHECK

Revision ID: 5d1e7c3a9b42
Revises: 3f9a6b2c7d15
Create Date: 2026-12-03 17:30:00+00:00

A session gives out agenda seats up to its own capacity, else its room's. The pick's conditional UPDATE read
the room's capacity through a subquery, and nothing stopped the room from shrinking below the seats already
taken: PATCH room capacity 10 under 13 reservations was a 200 (and, racing picks, 13 of 10 seats stayed
taken). Now the limit that applies is a column of the session's own row, set by triggers whenever the
session's capacity or room, or that room's capacity, changes, so every write path (the API, the CSV import,
raw SQL) keeps it; and ``CHECK (seats_taken <= seat_limit)`` refuses any write that would leave more seats
taken than the limit. The pick compares against its own row, which PostgreSQL re-reads after waiting on a
concurrent room change, so a pick and a shrink racing each other end within the limit.

A session moved into a room while the room shrinks could miss the shrink (each reads the other's old row), so
both lock the event row first (``events.services.lock_program``), as every program write already did on
PostgreSQL; SQLite runs one writer at a time.

SQLite's triggers fire AFTER the row is written (a BEFORE trigger there cannot change NEW) and set the column
with an UPDATE of that row. SQLite adds a column with its CHECK in place (no table copy), so the program
version triggers on program_session survive.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1e7c3a9b42"
down_revision: str | None = "3f9a6b2c7d15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK_NAME = "ck_program_session_seat_limit"
CHECK = "seat_limit IS NULL OR seats_taken <= seat_limit"
# The rule, in SQL, for the row ``NEW``: its own capacity, else its room's (no room: unlimited).
ROOM_CAPACITY = "(SELECT capacity FROM room WHERE id = NEW.room_id)"

PG_FUNCTIONS = [
    f"""
CREATE FUNCTION podium_session_seat_limit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seat_limit := COALESCE(NEW.capacity, {ROOM_CAPACITY});
    RETURN NEW;
END
$$""",
    """
CREATE FUNCTION podium_room_seat_limit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE program_session SET seat_limit = NEW.capacity WHERE room_id = NEW.id AND capacity IS NULL;
    RETURN NULL;
END
$$""",
]
PG_TRIGGERS = [
    "CREATE TRIGGER program_session_seat_limit BEFORE INSERT OR UPDATE OF capacity, room_id ON program_session "
    "FOR EACH ROW EXECUTE FUNCTION podium_session_seat_limit()",
    "CREATE TRIGGER room_seat_limit AFTER UPDATE OF capacity ON room "
    "FOR EACH ROW WHEN (OLD.capacity IS DISTINCT FROM NEW.capacity) EXECUTE FUNCTION podium_room_seat_limit()",
]
_SQLITE_SET = f"UPDATE program_session SET seat_limit = COALESCE(NEW.capacity, {ROOM_CAPACITY}) WHERE id = NEW.id"  # noqa: S608 - DDL from constants
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER program_session_insert_seat_limit AFTER INSERT ON program_session BEGIN {_SQLITE_SET}; END",
    "CREATE TRIGGER program_session_update_seat_limit AFTER UPDATE OF capacity, room_id ON program_session "
    f"BEGIN {_SQLITE_SET}; END",
    "CREATE TRIGGER room_seat_limit AFTER UPDATE OF capacity ON room WHEN OLD.capacity IS NOT NEW.capacity BEGIN "
    "UPDATE program_session SET seat_limit = NEW.capacity WHERE room_id = NEW.id AND capacity IS NULL; END",
]
SQLITE_TRIGGER_NAMES = ["program_session_insert_seat_limit", "program_session_update_seat_limit", "room_seat_limit"]
BACKFILL = (
    "UPDATE program_session SET seat_limit = COALESCE(capacity, "
    "(SELECT capacity FROM room WHERE room.id = program_session.room_id))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("program_session", sa.Column("seat_limit", sa.Integer(), nullable=True))
        op.execute(BACKFILL)
        op.create_check_constraint(op.f(CHECK_NAME), "program_session", CHECK)
        for statement in (*PG_FUNCTIONS, *PG_TRIGGERS):
            op.execute(statement)
    else:
        op.execute(f"ALTER TABLE program_session ADD COLUMN seat_limit INTEGER CONSTRAINT {CHECK_NAME} CHECK ({CHECK})")
        op.execute(BACKFILL)
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER room_seat_limit ON room")
        op.execute("DROP TRIGGER program_session_seat_limit ON program_session")
        op.execute("DROP FUNCTION podium_room_seat_limit()")
        op.execute("DROP FUNCTION podium_session_seat_limit()")
        op.drop_constraint(op.f(CHECK_NAME), "program_session", type_="check")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    # SQLite 3.35+ drops a column in place unless a constraint names it: its CHECK goes with the column there.
    op.execute("ALTER TABLE program_session DROP COLUMN seat_limit")
