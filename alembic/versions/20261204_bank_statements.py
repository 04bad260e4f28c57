"""bank statements and their lines (matched, duplicate, for review), group invoices and their orders

Revision ID: 5c1e8f3a9d27
Revises: 6e2b8d4f1a37
Create Date: 2026-12-04 14:50:00+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "5c1e8f3a9d27"
down_revision: str | None = "6e2b8d4f1a37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTCOMES = "outcome in ('exact', 'partial', 'over', 'unmatched', 'duplicate', 'debit')"
_REVIEW = "review_status in ('none', 'open', 'assigned', 'dismissed')"
_COUNTED = "outcome <> 'duplicate'"


def _base_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "bank_statement",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("file_digest", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=340), nullable=False),
        *_base_columns(),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_bank_statement_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement")),
        sa.UniqueConstraint("event_id", "file_digest", name="uq_bank_statement_file"),
    )
    op.create_index(op.f("ix_bank_statement_event_id"), "bank_statement", ["event_id"], unique=False)
    op.create_table(
        "group_invoice",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("payment_reference", sa.String(length=35), nullable=False),
        sa.Column("payment_due_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("tax_id", sa.String(length=40), nullable=False),
        sa.Column("po_number", sa.String(length=60), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("actor", sa.String(length=340), nullable=False),
        sa.Column("paid_at", DateTimeUTC(timezone=True), nullable=True),
        *_base_columns(),
        sa.CheckConstraint("status in ('open', 'paid', 'cancelled')", name=op.f("ck_group_invoice_status")),
        sa.CheckConstraint("total > 0", name=op.f("ck_group_invoice_total")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_group_invoice_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_invoice")),
    )
    op.create_index(op.f("ix_group_invoice_event_id"), "group_invoice", ["event_id"], unique=False)
    op.create_index("uq_group_invoice_payment_reference", "group_invoice", ["payment_reference"], unique=True)
    op.create_table(
        "group_invoice_order",
        sa.Column("group_invoice_id", GUID(length=16), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_invoice_id"],
            ["group_invoice.id"],
            name=op.f("fk_group_invoice_order_group_invoice_id_group_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_group_invoice_order_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_invoice_id", "order_id", name=op.f("pk_group_invoice_order")),
    )
    op.create_index(
        "uq_group_invoice_order_open",
        "group_invoice_order",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("open"),
        sqlite_where=sa.text("open"),
    )
    op.create_table(
        "bank_statement_line",
        sa.Column("statement_id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("bank_transaction_id", sa.String(length=200), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("counterparty", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column("excess", sa.Integer(), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=True),
        sa.Column("group_invoice_id", GUID(length=16), nullable=True),
        sa.Column("review_status", sa.String(length=12), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=340), nullable=True),
        sa.Column("reviewed_at", DateTimeUTC(timezone=True), nullable=True),
        *_base_columns(),
        sa.CheckConstraint(_OUTCOMES, name=op.f("ck_bank_statement_line_outcome")),
        sa.CheckConstraint(_REVIEW, name=op.f("ck_bank_statement_line_review_status")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bank_statement_line_amount")),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["bank_statement.id"],
            name=op.f("fk_bank_statement_line_statement_id_bank_statement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_bank_statement_line_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_bank_statement_line_order_id_reg_order"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["group_invoice_id"],
            ["group_invoice.id"],
            name=op.f("fk_bank_statement_line_group_invoice_id_group_invoice"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement_line")),
    )
    op.create_index(op.f("ix_bank_statement_line_statement_id"), "bank_statement_line", ["statement_id"], unique=False)
    op.create_index("ix_bank_statement_line_review", "bank_statement_line", ["event_id", "review_status"])
    op.create_index(
        "uq_bank_statement_line_transaction",
        "bank_statement_line",
        ["event_id", "bank_transaction_id"],
        unique=True,
        postgresql_where=sa.text(_COUNTED),
        sqlite_where=sa.text(_COUNTED),
    )


def downgrade() -> None:
    op.drop_table("bank_statement_line")
    op.drop_index("uq_group_invoice_order_open", table_name="group_invoice_order")
    op.drop_table("group_invoice_order")
    op.drop_table("group_invoice")
    op.drop_table("bank_statement")
