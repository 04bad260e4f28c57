"""talks: an accepted abstract's talk or poster inside a program session, moving the program version

Revision ID: 7b3e5d9a1c42
Revises: 8c4e1f2a7b90
Create Date: 2026-12-04 11:00:00+00:00

``talk`` belongs to the program (sessions/models.py ``Talk``); abstracts writes it through sessions.talks.
Every insert, update and delete of a talk in a public session moves ``event.program_version`` (the public
program's caches and feed ETags, 20261203_program_version.py) with triggers of the same kind, on both
databases; the PostgreSQL function is this table's own, so the earlier one is left as it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "7b3e5d9a1c42"
down_revision: str | None = "8c4e1f2a7b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPERATIONS = ("INSERT", "UPDATE", "DELETE")
PUBLIC = "('published', 'cancelled')"

PG_BUMP = """
CREATE FUNCTION podium_talk_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_session uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed_session := OLD.program_session_id;
    ELSE
        changed_session := NEW.program_session_id;
    END IF;
    UPDATE event SET program_version = program_version + 1, program_changed_at = clock_timestamp()
        WHERE id = (SELECT event_id FROM program_session WHERE id = changed_session AND status IN ('published', 'cancelled'));
    IF TG_OP = 'UPDATE' AND OLD.program_session_id <> NEW.program_session_id THEN
        UPDATE event SET program_version = program_version + 1, program_changed_at = clock_timestamp()
            WHERE id = (SELECT event_id FROM program_session WHERE id = OLD.program_session_id AND status IN ('published', 'cancelled'));
    END IF;
    RETURN NULL;
END
$$
"""
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def _sqlite_trigger(operation: str) -> str:
    rows = ("OLD",) if operation == "DELETE" else ("NEW",) if operation == "INSERT" else ("NEW", "OLD")
    sessions = " OR ".join(f"id = {row}.program_session_id" for row in rows)
    return (
        f"CREATE TRIGGER talk_{operation.lower()}_program_version AFTER {operation} ON talk BEGIN "  # noqa: S608 - DDL from constants
        f"UPDATE event SET program_version = program_version + 1, program_changed_at = {SQLITE_NOW} "
        f"WHERE id IN (SELECT event_id FROM program_session WHERE ({sessions}) AND status IN ('published', 'cancelled')); END"
    )


def upgrade() -> None:
    op.create_table(
        "talk",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("program_session_id", GUID(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("board", sa.String(length=20), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("speaker_id", GUID(length=16), nullable=True),
        sa.Column("abstract_text", sa.Text(), nullable=False),
        sa.Column("abstract_html", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("visible_from", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("source_id", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_talk_position")),
        sa.CheckConstraint("minutes is null or minutes > 0", name=op.f("ck_talk_minutes")),
        sa.ForeignKeyConstraint(
            ["program_session_id"],
            ["program_session.id"],
            name=op.f("fk_talk_program_session_id_program_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"], ["speaker.id"], name=op.f("fk_talk_speaker_id_speaker"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk")),
        sa.UniqueConstraint("program_session_id", "board", name="uq_talk_session_board"),
        sa.UniqueConstraint("source_id", name=op.f("uq_talk_source_id")),
    )
    op.create_index(op.f("ix_talk_program_session_id"), "talk", ["program_session_id"], unique=False)
    op.create_index(op.f("ix_talk_speaker_id"), "talk", ["speaker_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_BUMP)
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER talk_{operation.lower()}_program_version AFTER {operation} ON talk "
                "FOR EACH ROW EXECUTE FUNCTION podium_talk_changed()"
            )
    else:
        for operation in OPERATIONS:
            op.execute(_sqlite_trigger(operation))


def downgrade() -> None:
    for operation in OPERATIONS:
        op.execute(
            f"DROP TRIGGER IF EXISTS talk_{operation.lower()}_program_version ON talk"
            if op.get_bind().dialect.name == "postgresql"
            else f"DROP TRIGGER IF EXISTS talk_{operation.lower()}_program_version"
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS podium_talk_changed()")
    op.drop_index(op.f("ix_talk_speaker_id"), table_name="talk")
    op.drop_index(op.f("ix_talk_program_session_id"), table_name="talk")
    op.drop_table("talk")
