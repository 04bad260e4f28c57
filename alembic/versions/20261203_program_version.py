"""program version: event.program_version and event.program_changed_at, moved by triggers

Revision ID: 3f9a6b2c7d15
Revises: 8c2d4e6f1a37
Create Date: 2026-12-03 13:40:00+00:00

Every public program answer (the session list and page, a session's JSON and page, the program, session and
agenda calendar feeds) is cached under a fingerprint that the database gives on every request. It was a
dozen counts and maxima over sessions, speakers, links, rooms and tracks (about 9 ms a request on PostgreSQL
for the demo's 663 sessions, most of a cached answer), and each answer wrote its own. Now the database keeps
one counter per event, moved by triggers on every insert, update and delete of what the program shows, so a
write path added later (raw SQL, a bulk import) cannot forget it, and reading it is the event row.

Two writes do not move it: a draft session's changes (the public never sees them), and an agenda seat taken
or given back (``seats_taken`` changes alone, in a conditional UPDATE that touches no other column; moving the
counter there would make every seat lock the event row and empty the program caches during an agenda rush).
A session whose seats and anything else changed in one statement does not exist; the services keep it so.

PostgreSQL stamps ``clock_timestamp()`` (the moment of the change, not the transaction's start); SQLite stamps
``strftime`` in the text form SQLAlchemy stores datetimes in. A later SQLite migration that rebuilds one of
these tables (batch mode copies the table) drops its triggers and must create them again:
tests/sessions/test_program_version.py fails if a trigger is missing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "3f9a6b2c7d15"
down_revision: str | None = "8c2d4e6f1a37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC = "('published', 'cancelled')"
# table -> how a row names its event (NEW./OLD. are put in front)
BY_EVENT = ("program_session", "speaker", "room", "track")

PG_BUMP = """
CREATE FUNCTION podium_program_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid;
BEGIN
    IF TG_TABLE_NAME = 'session_speaker' THEN
        IF TG_OP = 'DELETE' THEN
            SELECT event_id INTO changed FROM program_session WHERE id = OLD.session_id;
        ELSE
            SELECT event_id INTO changed FROM program_session WHERE id = NEW.session_id;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        changed := OLD.event_id;
    ELSE
        changed := NEW.event_id;
    END IF;
    UPDATE event SET program_version = program_version + 1, program_changed_at = clock_timestamp()
        WHERE id = changed;
    RETURN NULL;
END
$$
"""


def _conditions(seats_unchanged: str) -> dict[tuple[str, str], str]:
    """When a session's row counts: it is (or was) public, and its seats are not what changed."""
    shown = f"status IN {PUBLIC}"
    return {
        ("program_session", "INSERT"): f"NEW.{shown}",
        ("program_session", "UPDATE"): f"(NEW.{shown} OR OLD.{shown}) AND {seats_unchanged}",
        ("program_session", "DELETE"): f"OLD.{shown}",
    }


def _pg_triggers() -> list[str]:
    conditions = _conditions("OLD.seats_taken IS NOT DISTINCT FROM NEW.seats_taken")
    statements = []
    for table in (*BY_EVENT, "session_speaker"):
        for operation in ("INSERT", "UPDATE", "DELETE"):
            when = conditions.get((table, operation))
            statements.append(
                f"CREATE TRIGGER {table}_{operation.lower()}_program_version AFTER {operation} ON {table} "
                f"FOR EACH ROW {f'WHEN ({when}) ' if when else ''}EXECUTE FUNCTION podium_program_changed()"
            )
    return statements


SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def _sqlite_triggers() -> list[str]:
    conditions = _conditions("OLD.seats_taken IS NEW.seats_taken")
    statements = []
    for table in (*BY_EVENT, "session_speaker"):
        for operation in ("INSERT", "UPDATE", "DELETE"):
            row = "OLD" if operation == "DELETE" else "NEW"
            event_of = (
                f"(SELECT event_id FROM program_session WHERE id = {row}.session_id)"  # noqa: S608 - constant names
                if table == "session_speaker"
                else f"{row}.event_id"
            )
            when = conditions.get((table, operation))
            statements.append(
                f"CREATE TRIGGER {table}_{operation.lower()}_program_version AFTER {operation} ON {table} "  # noqa: S608 - DDL from constants
                f"{f'WHEN {when} ' if when else ''}BEGIN "
                f"UPDATE event SET program_version = program_version + 1, program_changed_at = {SQLITE_NOW} "
                f"WHERE id = {event_of}; END"
            )
    return statements


def upgrade() -> None:
    op.add_column("event", sa.Column("program_version", sa.Integer(), server_default="0", nullable=False))
    op.add_column("event", sa.Column("program_changed_at", DateTimeUTC(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_BUMP)
        statements = _pg_triggers()
    else:
        statements = _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in (*BY_EVENT, "session_speaker"):
        for operation in ("insert", "update", "delete"):
            name = f"{table}_{operation}_program_version"
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute("DROP FUNCTION podium_program_changed()")
    op.execute("ALTER TABLE event DROP COLUMN program_changed_at")
    op.execute("ALTER TABLE event DROP COLUMN program_version")
