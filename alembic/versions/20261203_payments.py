"""registration: a payment row per captured payment; refunds point to their payment and are claimed

Revision ID: c97bd5a9a7de
Revises: 688a9180fcfe
Create Date: 2026-12-03 06:00:00+00:00

Backfill: every refund that carried ``payment_intent_id`` (a payment its order couldn't keep, refunded
whole) becomes a payment with ``kept = false`` of the refunded amount; every paid order with a total, and
any other order with a refund of its own money, gets its kept payment (its PaymentIntent, or
``offline-<order id>``) of the order's total. Each refund then points to its payment, and
``reg_order.amount_refunded`` is recomputed from the succeeded refunds of all its payments, so it now
includes automatic refunds too.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "c97bd5a9a7de"
down_revision: str | None = "688a9180fcfe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

order = sa.table(
    "reg_order",
    sa.column("id", GUID(length=16)),
    sa.column("status", sa.String(20)),
    sa.column("currency", sa.String(3)),
    sa.column("total", sa.Integer),
    sa.column("payment_provider", sa.String(20)),
    sa.column("provider_payment_id", sa.String(200)),
    sa.column("paid_at", DateTimeUTC(timezone=True)),
    sa.column("created_at", DateTimeUTC(timezone=True)),
    sa.column("amount_refunded", sa.Integer),
)
payment = sa.table(
    "payment",
    sa.column("id", GUID(length=16)),
    sa.column("order_id", GUID(length=16)),
    sa.column("provider", sa.String(20)),
    sa.column("provider_payment_id", sa.String(200)),
    sa.column("amount_captured", sa.Integer),
    sa.column("currency", sa.String(3)),
    sa.column("kept", sa.Boolean),
    sa.column("created_at", DateTimeUTC(timezone=True)),
    sa.column("updated_at", DateTimeUTC(timezone=True)),
)
refund = sa.table(
    "refund",
    sa.column("id", GUID(length=16)),
    sa.column("order_id", GUID(length=16)),
    sa.column("payment_id", GUID(length=16)),
    sa.column("amount", sa.Integer),
    sa.column("status", sa.String(12)),
    sa.column("payment_intent_id", sa.String(200)),
    sa.column("created_at", DateTimeUTC(timezone=True)),
)


def _backfill() -> None:
    bind = op.get_bind()
    taken: set[str] = set()
    for refund_id, order_id, amount, intent_id, created_at, currency in bind.execute(
        sa.select(
            refund.c.id, refund.c.order_id, refund.c.amount, refund.c.payment_intent_id, refund.c.created_at,
            order.c.currency,
        )
        .join(order, order.c.id == refund.c.order_id)
        .where(refund.c.payment_intent_id.is_not(None))
    ).all():  # fmt: skip
        payment_id = uuid.uuid4()
        bind.execute(
            payment.insert().values(
                id=payment_id, order_id=order_id, provider="stripe", provider_payment_id=intent_id,
                amount_captured=amount, currency=currency, kept=False, created_at=created_at, updated_at=created_at,
            )
        )  # fmt: skip
        bind.execute(refund.update().where(refund.c.id == refund_id).values(payment_id=payment_id))
        taken.add(intent_id)
    own_refunds = sa.select(refund.c.order_id).where(refund.c.payment_intent_id.is_(None))
    for order_id, status, currency, total, provider, intent_id, paid_at, created_at in bind.execute(
        sa.select(
            order.c.id, order.c.status, order.c.currency, order.c.total, order.c.payment_provider,
            order.c.provider_payment_id, order.c.paid_at, order.c.created_at,
        ).where(sa.or_(sa.and_(order.c.status == "paid", order.c.total > 0), order.c.id.in_(own_refunds)))
    ).all():  # fmt: skip
        refunded = bind.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(refund.c.amount), 0)).where(
                refund.c.order_id == order_id, refund.c.payment_intent_id.is_(None)
            )
        )
        payment_id = uuid.uuid4()
        provider_payment_id = intent_id if intent_id and intent_id not in taken else f"offline-{order_id}"
        bind.execute(
            payment.insert().values(
                id=payment_id, order_id=order_id, provider="stripe" if provider == "stripe" else "offline",
                provider_payment_id=provider_payment_id, amount_captured=max(total, int(refunded or 0)),
                currency=currency, kept=status == "paid", created_at=paid_at or created_at,
                updated_at=paid_at or created_at,
            )
        )  # fmt: skip
        bind.execute(
            refund.update()
            .where(refund.c.order_id == order_id, refund.c.payment_intent_id.is_(None))
            .values(payment_id=payment_id)
        )
    succeeded = (
        sa.select(sa.func.coalesce(sa.func.sum(refund.c.amount), 0))
        .where(refund.c.order_id == order.c.id, refund.c.status == "succeeded")
        .scalar_subquery()
    )
    bind.execute(order.update().values(amount_refunded=succeeded))


def upgrade() -> None:
    op.create_table(
        "payment",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=200), nullable=False),
        sa.Column("amount_captured", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("amount_captured >= 0", name=op.f("ck_payment_amount_captured")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_payment_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("provider_payment_id", name=op.f("uq_payment_provider_payment_id")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "uq_payment_kept_per_order",
            ["order_id"],
            unique=True,
            postgresql_where=sa.text("kept"),
            sqlite_where=sa.text("kept"),
        )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_id", GUID(length=16), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lease_until", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=False, server_default=""))
    _backfill()
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.alter_column("payment_id", existing_type=GUID(length=16), nullable=False)
        batch_op.alter_column("attempts", server_default=None)
        batch_op.alter_column("last_error", server_default=None)
        batch_op.drop_constraint(batch_op.f("uq_refund_payment_intent_id"), type_="unique")
        batch_op.drop_column("payment_intent_id")
        batch_op.drop_constraint(op.f("ck_refund_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_refund_status"), "status in ('pending', 'sending', 'succeeded', 'failed')"
        )
        batch_op.create_check_constraint(op.f("ck_refund_attempts"), "attempts >= 0")
        batch_op.create_index("ix_refund_claimable", ["status", "lease_until"], unique=False)
        batch_op.create_index(batch_op.f("ix_refund_payment_id"), ["payment_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_refund_payment_id_payment"), "payment", ["payment_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_intent_id", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    unkept = sa.select(payment.c.provider_payment_id).where(payment.c.id == refund.c.payment_id, ~payment.c.kept)
    bind.execute(refund.update().values(payment_intent_id=unkept.scalar_subquery()))
    bind.execute(refund.update().where(refund.c.status == "sending").values(status="pending"))
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_refund_payment_id_payment"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_refund_payment_id"))
        batch_op.drop_index("ix_refund_claimable")
        batch_op.drop_constraint(op.f("ck_refund_attempts"), type_="check")
        batch_op.drop_constraint(op.f("ck_refund_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_refund_status"), "status in ('pending', 'succeeded', 'failed')")
        batch_op.create_unique_constraint(batch_op.f("uq_refund_payment_intent_id"), ["payment_intent_id"])
        batch_op.drop_column("last_error")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("attempts")
        batch_op.drop_column("payment_id")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_kept_per_order", postgresql_where=sa.text("kept"), sqlite_where=sa.text("kept"))
        batch_op.drop_index(batch_op.f("ix_payment_order_id"))
    op.drop_table("payment")
