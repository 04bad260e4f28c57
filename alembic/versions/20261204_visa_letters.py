"""visa letters: letter_settings (per event) and visa_letter (passport data sealed, erased after the event)

Revision ID: 4c8e2a6f0b13
Revises: da639b17cf05
Create Date: 2026-12-04 10:50:00+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "4c8e2a6f0b13"
down_revision: str | None = "da639b17cf05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _base_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "letter_settings",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("review_first", sa.Boolean(), nullable=False),
        sa.Column("allow_unconfirmed", sa.Boolean(), nullable=False),
        sa.Column("erase_after_days", sa.Integer(), nullable=False),
        sa.Column("signatory", sa.String(length=200), nullable=False),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        *_base_columns(),
        sa.CheckConstraint("erase_after_days between 0 and 3650", name=op.f("ck_letter_settings_erase_after_days")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_letter_settings_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_settings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_letter_settings_event_id")),
    )
    op.create_table(
        "visa_letter",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("registration_id", GUID(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("embassy_city", sa.String(length=120), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("number_tail", sa.String(length=3), nullable=True),
        sa.Column("issued_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decided_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("erased_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        *_base_columns(),
        sa.CheckConstraint(
            "status in ('pending', 'issued', 'rejected', 'revoked')", name=op.f("ck_visa_letter_status")
        ),
        sa.CheckConstraint("(erased_at is null) or (sealed is null)", name=op.f("ck_visa_letter_erased")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_visa_letter_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_visa_letter_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visa_letter")),
        sa.UniqueConstraint("code", name=op.f("uq_visa_letter_code")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_visa_letter_registration_id")),
    )
    with op.batch_alter_table("visa_letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visa_letter_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visa_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visa_letter_event_id"))
    op.drop_table("visa_letter")
    op.drop_table("letter_settings")
