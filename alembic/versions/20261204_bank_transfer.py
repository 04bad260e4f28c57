"""bank transfer: per-event bank details and limits, the order's payment reference and due date, bank credits

Revision ID: 2b9d4e7a6c18
Revises: 3d7f1b9e5a26
Create Date: 2026-12-04 14:40:00+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "2b9d4e7a6c18"
down_revision: str | None = "3d7f1b9e5a26"
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
        "bank_transfer_settings",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("beneficiary", sa.String(length=140), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("bank_name", sa.String(length=140), nullable=False),
        sa.Column("bank_address", sa.String(length=300), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("latest_days_before_event", sa.Integer(), nullable=False),
        sa.Column("max_days_from_order", sa.Integer(), nullable=False),
        *_base_columns(),
        sa.CheckConstraint("due_days between 1 and 90", name=op.f("ck_bank_transfer_settings_due_days")),
        sa.CheckConstraint(
            "latest_days_before_event between 0 and 365",
            name=op.f("ck_bank_transfer_settings_latest_days_before_event"),
        ),
        sa.CheckConstraint(
            "max_days_from_order between 1 and 365", name=op.f("ck_bank_transfer_settings_max_days_from_order")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_bank_transfer_settings_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transfer_settings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_bank_transfer_settings_event_id")),
    )
    op.create_table(
        "bank_credit",
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("payment_id", GUID(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_line_id", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=340), nullable=False),
        *_base_columns(),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bank_credit_amount")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_bank_credit_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_bank_credit_payment_id_payment"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_credit")),
        sa.UniqueConstraint("order_id", "source", "source_line_id", name="uq_bank_credit_source_line"),
    )
    with op.batch_alter_table("bank_credit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_credit_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_credit_payment_id"), ["payment_id"], unique=False)
    # Plain ADD COLUMN (no batch copy), so reg_order's partial indexes and triggers stay; the reference's
    # uniqueness is an index, which SQLite can add to an existing table.
    op.add_column("reg_order", sa.Column("payment_reference", sa.String(length=35), nullable=True))
    op.add_column("reg_order", sa.Column("payment_due_at", DateTimeUTC(timezone=True), nullable=True))
    op.add_column("reg_order", sa.Column("payment_reminded_at", DateTimeUTC(timezone=True), nullable=True))
    op.create_index("uq_reg_order_payment_reference", "reg_order", ["payment_reference"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_reg_order_payment_reference", table_name="reg_order")
    for column in ("payment_reminded_at", "payment_due_at", "payment_reference"):
        op.drop_column("reg_order", column)
    with op.batch_alter_table("bank_credit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_credit_payment_id"))
        batch_op.drop_index(batch_op.f("ix_bank_credit_order_id"))
    op.drop_table("bank_credit")
    op.drop_table("bank_transfer_settings")
