"""order standing: reg_order.payment_state/_at/payment_failure and the cancellation table

Revision ID: 990183693fd6
Revises: 96b34962e288
Create Date: 2026-12-03 06:00:00+00:00

The order page tells a card payment in flight ("confirming") and a declined one (with the reason) from an
order still waiting for payment, and shows each cancellation's fee and refund. Plain ALTER TABLE both ways on
``reg_order`` (no batch copy: see 20261202_takeback_registration_transferred_at). Cancellations made before
this migration have no row: their fee is unknown, and the page shows their refunds only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "990183693fd6"
down_revision: str | None = "96b34962e288"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reg_order", sa.Column("payment_state", sa.String(length=12), nullable=True))
    op.add_column("reg_order", sa.Column("payment_state_at", DateTimeUTC(timezone=True), nullable=True))
    op.add_column("reg_order", sa.Column("payment_failure", sa.String(length=300), nullable=True))
    op.create_table(
        "cancellation",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("registrations", sa.Integer(), nullable=False),
        sa.Column("amount_due", sa.Integer(), nullable=False),
        sa.Column("fee_pct", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("refund_amount", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=340), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_cancellation_fee")),
        sa.CheckConstraint("refund_amount >= 0", name=op.f("ck_cancellation_refund_amount")),
        sa.CheckConstraint("fee_pct between 0 and 100", name=op.f("ck_cancellation_fee_pct")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_cancellation_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation")),
    )
    op.create_index(op.f("ix_cancellation_order_id"), "cancellation", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cancellation_order_id"), table_name="cancellation")
    op.drop_table("cancellation")
    # Plain ALTER TABLE on both engines (SQLite has DROP COLUMN since 3.35): a batch copy of reg_order would
    # drop the old table, and with foreign keys on, SQLite's implicit delete cascades to its registrations.
    op.execute("ALTER TABLE reg_order DROP COLUMN payment_failure")
    op.execute("ALTER TABLE reg_order DROP COLUMN payment_state_at")
    op.execute("ALTER TABLE reg_order DROP COLUMN payment_state")
