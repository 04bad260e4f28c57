"""registration: refunds, webhook log, outbox, receipts, cancellation fees, waitlist

Revision ID: a6a72cbfaddd
Revises: bb05e6ed585c
Create Date: 2026-11-24 22:33:54.547552+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "a6a72cbfaddd"
down_revision: str | None = "bb05e6ed585c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("attachments", JsonB, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sent_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name=op.f("ck_outbox_message_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_message_dedupe_key")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_message_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "webhook_event",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
        sa.UniqueConstraint("provider", "event_id", name="uq_webhook_event_provider_event"),
    )
    op.create_table(
        "cancellation_fee_rule",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("fee_pct", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("fee_pct between 0 and 100", name=op.f("ck_cancellation_fee_rule_fee_pct")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_cancellation_fee_rule_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation_fee_rule")),
        sa.UniqueConstraint("event_id", "until", name="uq_cancellation_fee_rule_until"),
    )
    with op.batch_alter_table("cancellation_fee_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cancellation_fee_rule_event_id"), ["event_id"], unique=False)

    op.create_table(
        "receipt_counter",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_receipt_counter_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_receipt_counter")),
    )
    op.create_table(
        "waitlist_entry",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("category_id", GUID(length=16), nullable=True),
        sa.Column("add_on_id", GUID(length=16), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("offer_version", sa.Integer(), nullable=False),
        sa.Column("offer_expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("held_quota_ids", JsonB, nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('waiting', 'offered', 'claimed', 'lapsed', 'left')", name=op.f("ck_waitlist_entry_status")
        ),
        sa.CheckConstraint("(category_id is null) <> (add_on_id is null)", name=op.f("ck_waitlist_entry_one_item")),
        sa.ForeignKeyConstraint(
            ["add_on_id"], ["add_on.id"], name=op.f("fk_waitlist_entry_add_on_id_add_on"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["reg_category.id"],
            name=op.f("fk_waitlist_entry_category_id_reg_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_waitlist_entry_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
    )
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.create_index("ix_waitlist_entry_queue", ["event_id", "status", "created_at"], unique=False)

    op.create_table(
        "receipt",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("issued_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_receipt_event_id_event"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_receipt_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
        sa.UniqueConstraint("event_id", "number", name="uq_receipt_event_number"),
        sa.UniqueConstraint("order_id", name=op.f("uq_receipt_order_id")),
    )
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_event_id"), ["event_id"], unique=False)

    op.create_table(
        "refund",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=340), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('pending', 'succeeded', 'failed')", name=op.f("ck_refund_status")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refund_amount")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_refund_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund")),
        sa.UniqueConstraint("provider_refund_id", name=op.f("uq_refund_provider_refund_id")),
    )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_order_id"), ["order_id"], unique=False)

    with op.batch_alter_table("reg_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_refunded", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("secret_version")

    with op.batch_alter_table("reg_order", schema=None) as batch_op:
        batch_op.drop_column("amount_refunded")

    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_order_id"))

    op.drop_table("refund")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_event_id"))

    op.drop_table("receipt")
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_entry_queue")

    op.drop_table("waitlist_entry")
    op.drop_table("receipt_counter")
    with op.batch_alter_table("cancellation_fee_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cancellation_fee_rule_event_id"))

    op.drop_table("cancellation_fee_rule")
    op.drop_table("webhook_event")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_due")

    op.drop_table("outbox_message")
