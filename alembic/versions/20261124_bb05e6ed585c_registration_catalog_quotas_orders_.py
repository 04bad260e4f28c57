"""registration: catalog, quotas, orders, registrations, audit trail

Revision ID: bb05e6ed585c
Revises: 455afa488b9f
Create Date: 2026-11-24 22:12:39.278245+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "bb05e6ed585c"
down_revision: str | None = "455afa488b9f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "state_change",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", GUID(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=340), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_change")),
    )
    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.create_index("ix_state_change_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "add_on",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("category_ids", JsonB, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('workshop', 'training', 'reception', 'other')", name=op.f("ck_add_on_kind")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_add_on_amount")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_add_on_event_id_event"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_add_on")),
        sa.UniqueConstraint("event_id", "code", name="uq_add_on_event_code"),
    )
    with op.batch_alter_table("add_on", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_add_on_event_id"), ["event_id"], unique=False)

    op.create_table(
        "promo_code",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("category_ids", JsonB, nullable=False),
        sa.Column("add_on_ids", JsonB, nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("valid_from", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("valid_until", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('percent', 'fixed')", name=op.f("ck_promo_code_kind")),
        sa.CheckConstraint("max_uses is null or used <= max_uses", name=op.f("ck_promo_code_max_uses")),
        sa.CheckConstraint("used >= 0", name=op.f("ck_promo_code_used")),
        sa.CheckConstraint("value >= 0", name=op.f("ck_promo_code_value")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_promo_code_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_code")),
        sa.UniqueConstraint("event_id", "code", name="uq_promo_code_event_code"),
    )
    with op.batch_alter_table("promo_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promo_code_event_id"), ["event_id"], unique=False)

    op.create_table(
        "quota",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("scope in ('event', 'items')", name=op.f("ck_quota_scope")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_quota_size")),
        sa.CheckConstraint("used >= 0", name=op.f("ck_quota_used")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_quota_event_id_event"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota")),
    )
    with op.batch_alter_table("quota", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quota_event_id"), ["event_id"], unique=False)

    op.create_table(
        "reg_category",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("eligibility", sa.String(length=20), nullable=False),
        sa.Column("access_code", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "eligibility in ('open', 'member_number', 'verification', 'access_code')",
            name=op.f("ck_reg_category_eligibility"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_reg_category_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_category")),
        sa.UniqueConstraint("event_id", "code", name="uq_reg_category_event_code"),
    )
    with op.batch_alter_table("reg_category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reg_category_event_id"), ["event_id"], unique=False)

    op.create_table(
        "reg_question",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", JsonB, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('text', 'choice', 'boolean')", name=op.f("ck_reg_question_kind")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_reg_question_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_question")),
        sa.UniqueConstraint("event_id", "code", name="uq_reg_question_event_code"),
    )
    with op.batch_alter_table("reg_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reg_question_event_id"), ["event_id"], unique=False)

    op.create_table(
        "registration_settings",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("low_income_discount_pct", sa.Integer(), nullable=False),
        sa.Column("lower_middle_income_discount_pct", sa.Integer(), nullable=False),
        sa.Column("upper_middle_income_discount_pct", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("hold_minutes between 1 and 120", name=op.f("ck_registration_settings_hold_minutes")),
        sa.CheckConstraint(
            "low_income_discount_pct between 0 and 100 and lower_middle_income_discount_pct between 0 and 100 and upper_middle_income_discount_pct between 0 and 100",
            name=op.f("ck_registration_settings_income_discounts"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_registration_settings_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_settings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_registration_settings_event_id")),
    )
    op.create_table(
        "price_window",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("category_id", GUID(length=16), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_price_window_amount")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["reg_category.id"],
            name=op.f("fk_price_window_category_id_reg_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_window")),
        sa.UniqueConstraint("category_id", "starts_on", name="uq_price_window_start"),
    )
    with op.batch_alter_table("price_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_window_category_id"), ["category_id"], unique=False)

    op.create_table(
        "quota_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("quota_id", GUID(length=16), nullable=False),
        sa.Column("category_id", GUID(length=16), nullable=True),
        sa.Column("add_on_id", GUID(length=16), nullable=True),
        sa.CheckConstraint("(category_id is null) <> (add_on_id is null)", name=op.f("ck_quota_item_one_item")),
        sa.ForeignKeyConstraint(
            ["add_on_id"], ["add_on.id"], name=op.f("fk_quota_item_add_on_id_add_on"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["reg_category.id"],
            name=op.f("fk_quota_item_category_id_reg_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quota_id"], ["quota.id"], name=op.f("fk_quota_item_quota_id_quota"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_item")),
        sa.UniqueConstraint("quota_id", "category_id", "add_on_id", name="uq_quota_item"),
    )
    with op.batch_alter_table("quota_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quota_item_add_on_id"), ["add_on_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quota_item_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quota_item_quota_id"), ["quota_id"], unique=False)

    op.create_table(
        "reg_order",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_email", sa.String(length=320), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Integer(), nullable=False),
        sa.Column("discount_total", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("hold_expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("secret_version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("promo_code_id", GUID(length=16), nullable=True),
        sa.Column("promo_uses", sa.Integer(), nullable=False),
        sa.Column("payment_provider", sa.String(length=20), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=200), nullable=True),
        sa.Column("paid_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('pending', 'paid', 'expired', 'cancelled')", name=op.f("ck_reg_order_status")),
        sa.CheckConstraint("total >= 0", name=op.f("ck_reg_order_total")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_reg_order_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["promo_code_id"], ["promo_code.id"], name=op.f("fk_reg_order_promo_code_id_promo_code")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_order")),
        sa.UniqueConstraint("event_id", "idempotency_key", name="uq_reg_order_idempotency"),
        sa.UniqueConstraint("provider_payment_id", name=op.f("uq_reg_order_provider_payment_id")),
    )
    with op.batch_alter_table("reg_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reg_order_buyer_email"), ["buyer_email"], unique=False)
        batch_op.create_index(batch_op.f("ix_reg_order_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_reg_order_pending_expiry", ["status", "hold_expires_at"], unique=False)

    op.create_table(
        "order_quota",
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("quota_id", GUID(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_order_quota_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["quota_id"], ["quota.id"], name=op.f("fk_order_quota_quota_id_quota"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", "quota_id", name=op.f("pk_order_quota")),
    )
    op.create_table(
        "registration",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("category_id", GUID(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("affiliation", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("member_number", sa.String(length=40), nullable=True),
        sa.Column("verification_note", sa.Text(), nullable=True),
        sa.Column("answers", JsonB, nullable=False),
        sa.Column("category_amount", sa.Integer(), nullable=False),
        sa.Column("discount_amount", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('held', 'confirmed', 'awaiting_verification', 'expired', 'cancelled')",
            name=op.f("ck_registration_status"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["reg_category.id"], name=op.f("fk_registration_category_id_reg_category")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_registration_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_registration_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registration_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registration_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "uq_registration_active_email",
            ["event_id", "email"],
            unique=True,
            postgresql_where=sa.text("status in ('held', 'confirmed', 'awaiting_verification')"),
            sqlite_where=sa.text("status in ('held', 'confirmed', 'awaiting_verification')"),
        )

    op.create_table(
        "registration_add_on",
        sa.Column("registration_id", GUID(length=16), nullable=False),
        sa.Column("add_on_id", GUID(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("discount_amount", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["add_on_id"], ["add_on.id"], name=op.f("fk_registration_add_on_add_on_id_add_on")),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_registration_add_on_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registration_id", "add_on_id", name=op.f("pk_registration_add_on")),
    )


def downgrade() -> None:
    op.drop_table("registration_add_on")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_registration_active_email",
            postgresql_where=sa.text("status in ('held', 'confirmed', 'awaiting_verification')"),
            sqlite_where=sa.text("status in ('held', 'confirmed', 'awaiting_verification')"),
        )
        batch_op.drop_index(batch_op.f("ix_registration_order_id"))
        batch_op.drop_index(batch_op.f("ix_registration_event_id"))
        batch_op.drop_index(batch_op.f("ix_registration_category_id"))

    op.drop_table("registration")
    op.drop_table("order_quota")
    with op.batch_alter_table("reg_order", schema=None) as batch_op:
        batch_op.drop_index("ix_reg_order_pending_expiry")
        batch_op.drop_index(batch_op.f("ix_reg_order_event_id"))
        batch_op.drop_index(batch_op.f("ix_reg_order_buyer_email"))

    op.drop_table("reg_order")
    with op.batch_alter_table("quota_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quota_item_quota_id"))
        batch_op.drop_index(batch_op.f("ix_quota_item_category_id"))
        batch_op.drop_index(batch_op.f("ix_quota_item_add_on_id"))

    op.drop_table("quota_item")
    with op.batch_alter_table("price_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_window_category_id"))

    op.drop_table("price_window")
    op.drop_table("registration_settings")
    with op.batch_alter_table("reg_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reg_question_event_id"))

    op.drop_table("reg_question")
    with op.batch_alter_table("reg_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reg_category_event_id"))

    op.drop_table("reg_category")
    with op.batch_alter_table("quota", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quota_event_id"))

    op.drop_table("quota")
    with op.batch_alter_table("promo_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_code_event_id"))

    op.drop_table("promo_code")
    with op.batch_alter_table("add_on", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_add_on_event_id"))

    op.drop_table("add_on")
    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.drop_index("ix_state_change_entity")

    op.drop_table("state_change")
