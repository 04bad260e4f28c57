"""badges: keys, badges, checkpoints, check-ins

Revision ID: dc7e698d5e2f
Revises: ee0eb06bb032
Create Date: 2026-11-25 04:17:21.038189+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "dc7e698d5e2f"
down_revision: str | None = "ee0eb06bb032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "badge_key",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("kid", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key_sealed", sa.String(length=200), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_badge_key_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_key")),
        sa.UniqueConstraint("event_id", name=op.f("uq_badge_key_event_id")),
        sa.UniqueConstraint("kid", name=op.f("uq_badge_key_kid")),
    )
    op.create_table(
        "checkin_settings",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("doors_open_minutes", sa.Integer(), nullable=False),
        sa.Column("credit_threshold_pct", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "credit_threshold_pct between 1 and 100", name=op.f("ck_checkin_settings_credit_threshold_pct")
        ),
        sa.CheckConstraint(
            "doors_open_minutes between 0 and 1440", name=op.f("ck_checkin_settings_doors_open_minutes")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_checkin_settings_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_settings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_checkin_settings_event_id")),
    )
    op.create_table(
        "badge",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("registration_id", GUID(length=16), nullable=False),
        sa.Column("serial", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("print_count", sa.Integer(), nullable=False),
        sa.Column("printed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("print_count >= 0", name=op.f("ck_badge_print_count")),
        sa.CheckConstraint("version between 1 and 65535", name=op.f("ck_badge_version")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_badge_event_id_event"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_badge_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge")),
        sa.UniqueConstraint("event_id", "serial", name="uq_badge_event_serial"),
        sa.UniqueConstraint("registration_id", name=op.f("uq_badge_registration_id")),
    )
    with op.batch_alter_table("badge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_badge_event_id"), ["event_id"], unique=False)

    op.create_table(
        "checkpoint",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("room_id", GUID(length=16), nullable=True),
        sa.Column("session_id", GUID(length=16), nullable=True),
        sa.Column("add_on_id", GUID(length=16), nullable=True),
        sa.Column("opens_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("closes_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind <> 'add_on' or add_on_id is not null", name=op.f("ck_checkpoint_add_on")),
        sa.CheckConstraint("kind <> 'room' or room_id is not null", name=op.f("ck_checkpoint_room")),
        sa.CheckConstraint("kind <> 'session' or session_id is not null", name=op.f("ck_checkpoint_session")),
        sa.CheckConstraint("kind in ('entrance', 'room', 'session', 'add_on')", name=op.f("ck_checkpoint_kind")),
        sa.CheckConstraint(
            "opens_at is null or closes_at is null or closes_at > opens_at", name=op.f("ck_checkpoint_window")
        ),
        sa.ForeignKeyConstraint(
            ["add_on_id"], ["add_on.id"], name=op.f("fk_checkpoint_add_on_id_add_on"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_checkpoint_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_checkpoint_room_id_room"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["program_session.id"],
            name=op.f("fk_checkpoint_session_id_program_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint")),
        sa.UniqueConstraint("event_id", "code", name="uq_checkpoint_event_code"),
    )
    with op.batch_alter_table("checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkpoint_event_id"), ["event_id"], unique=False)

    op.create_table(
        "checkin",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("checkpoint_id", GUID(length=16), nullable=False),
        sa.Column("badge_id", GUID(length=16), nullable=True),
        sa.Column("registration_id", GUID(length=16), nullable=True),
        sa.Column("session_id", GUID(length=16), nullable=True),
        sa.Column("badge_version", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.Column("device_time", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=340), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("direction in ('in', 'out')", name=op.f("ck_checkin_direction")),
        sa.CheckConstraint(
            "reason in ('admitted', 'already_admitted', 'checked_out', 'not_paid', 'cancelled', 'revoked', 'wrong_event', 'no_access', 'outside_window', 'invalid')",
            name=op.f("ck_checkin_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["badge_id"], ["badge.id"], name=op.f("fk_checkin_badge_id_badge"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"], ["checkpoint.id"], name=op.f("fk_checkin_checkpoint_id_checkpoint"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_checkin_event_id_event"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_checkin_registration_id_registration"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["program_session.id"],
            name=op.f("fk_checkin_session_id_program_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin")),
        sa.UniqueConstraint("device_id", "device_seq", name="uq_checkin_device_seq"),
    )
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_checkpoint_id"), ["checkpoint_id"], unique=False)
        batch_op.create_index("ix_checkin_event_reason", ["event_id", "reason", "device_time"], unique=False)
        batch_op.create_index("ix_checkin_registration", ["registration_id", "device_time"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_session_id"), ["session_id"], unique=False)

    op.create_table(
        "checkin_presence",
        sa.Column("badge_id", GUID(length=16), nullable=False),
        sa.Column("zone", sa.String(length=60), nullable=False),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("first_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("first_checkpoint_id", GUID(length=16), nullable=False),
        sa.Column("first_device_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["badge_id"], ["badge.id"], name=op.f("fk_checkin_presence_badge_id_badge"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["first_checkpoint_id"],
            ["checkpoint.id"],
            name=op.f("fk_checkin_presence_first_checkpoint_id_checkpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("badge_id", "zone", name=op.f("pk_checkin_presence")),
    )


def downgrade() -> None:
    op.drop_table("checkin_presence")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_session_id"))
        batch_op.drop_index("ix_checkin_registration")
        batch_op.drop_index("ix_checkin_event_reason")
        batch_op.drop_index(batch_op.f("ix_checkin_checkpoint_id"))

    op.drop_table("checkin")
    with op.batch_alter_table("checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoint_event_id"))

    op.drop_table("checkpoint")
    with op.batch_alter_table("badge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_badge_event_id"))

    op.drop_table("badge")
    op.drop_table("checkin_settings")
    op.drop_table("badge_key")
