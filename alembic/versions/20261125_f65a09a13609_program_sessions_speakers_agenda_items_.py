"""program: sessions, speakers, agenda items and feeds

Revision ID: f65a09a13609
Revises: 373c447ab5de
Create Date: 2026-11-25 03:05:03.527953+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "f65a09a13609"
down_revision: str | None = "373c447ab5de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "speaker",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("affiliation", sa.String(length=200), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_speaker_event_id_event"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speaker")),
        sa.UniqueConstraint("event_id", "name", name="uq_speaker_event_name"),
    )
    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speaker_event_id"), ["event_id"], unique=False)

    op.create_table(
        "program_session",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("track_id", GUID(length=16), nullable=True),
        sa.Column("room_id", GUID(length=16), nullable=True),
        sa.Column("starts_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ends_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("required_add_on_id", GUID(length=16), nullable=True),
        sa.Column("credit_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("changed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('keynote', 'plenary', 'symposium', 'scientific_session', 'workshop', "
            "'poster_session', 'break', 'social')",
            name=op.f("ck_program_session_kind"),
        ),
        sa.CheckConstraint("status in ('draft', 'published', 'cancelled')", name=op.f("ck_program_session_status")),
        sa.CheckConstraint("capacity is null or capacity >= 0", name=op.f("ck_program_session_capacity")),
        sa.CheckConstraint("credit_hours >= 0", name=op.f("ck_program_session_credit_hours")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_program_session_times")),
        sa.CheckConstraint("seats_taken >= 0", name=op.f("ck_program_session_seats_taken")),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_program_session_sequence")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_program_session_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["required_add_on_id"],
            ["add_on.id"],
            name=op.f("fk_program_session_required_add_on_id_add_on"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_program_session_room_id_room"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["track.id"], name=op.f("fk_program_session_track_id_track"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_session")),
    )
    with op.batch_alter_table("program_session", schema=None) as batch_op:
        batch_op.create_index("ix_program_session_event_start", ["event_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_program_session_required_add_on_id"), ["required_add_on_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_program_session_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_program_session_track_id"), ["track_id"], unique=False)

    op.create_table(
        "agenda_feed",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("registration_id", GUID(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_agenda_feed_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_feed")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_agenda_feed_registration_id")),
    )
    op.create_table(
        "agenda_item",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("registration_id", GUID(length=16), nullable=False),
        sa.Column("session_id", GUID(length=16), nullable=False),
        sa.Column("reserved", sa.Boolean(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_agenda_item_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["program_session.id"],
            name=op.f("fk_agenda_item_session_id_program_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item")),
        sa.UniqueConstraint("registration_id", "session_id", name="uq_agenda_item"),
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_item_registration_id"), ["registration_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agenda_item_session_id"), ["session_id"], unique=False)

    op.create_table(
        "session_speaker",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("session_id", GUID(length=16), nullable=False),
        sa.Column("speaker_id", GUID(length=16), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("role in ('speaker', 'chair')", name=op.f("ck_session_speaker_role")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["program_session.id"],
            name=op.f("fk_session_speaker_session_id_program_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"], ["speaker.id"], name=op.f("fk_session_speaker_speaker_id_speaker"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_speaker")),
        sa.UniqueConstraint("session_id", "speaker_id", "role", name="uq_session_speaker"),
    )
    with op.batch_alter_table("session_speaker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_speaker_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_speaker_speaker_id"), ["speaker_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_speaker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_speaker_speaker_id"))
        batch_op.drop_index(batch_op.f("ix_session_speaker_session_id"))

    op.drop_table("session_speaker")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_session_id"))
        batch_op.drop_index(batch_op.f("ix_agenda_item_registration_id"))

    op.drop_table("agenda_item")
    op.drop_table("agenda_feed")
    with op.batch_alter_table("program_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_program_session_track_id"))
        batch_op.drop_index(batch_op.f("ix_program_session_room_id"))
        batch_op.drop_index(batch_op.f("ix_program_session_required_add_on_id"))
        batch_op.drop_index("ix_program_session_event_start")

    op.drop_table("program_session")
    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speaker_event_id"))

    op.drop_table("speaker")
