"""registration: a refund may be of a whole PaymentIntent its order didn't keep (one claim per intent)

Revision ID: 8e3d5b0c7a14
Revises: 7a4c2e9b1d63
Create Date: 2026-12-02 09:00:00+00:00

``reg_order.provider_payment_id`` now names the PaymentIntent that paid a paid order. Until now it kept
the one made for the order even when another paid it; the audit entry that confirmed the order
("payment pi_…") says which one did, so paid card orders take that id here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision: str = "8e3d5b0c7a14"
down_revision: str | None = "7a4c2e9b1d63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

order = sa.table(
    "reg_order",
    sa.column("id", GUID(length=16)),
    sa.column("status", sa.String(20)),
    sa.column("payment_provider", sa.String(20)),
    sa.column("provider_payment_id", sa.String(200)),
)
state_change = sa.table(
    "state_change",
    sa.column("entity", sa.String(20)),
    sa.column("entity_id", GUID(length=16)),
    sa.column("from_status", sa.String(24)),
    sa.column("to_status", sa.String(24)),
    sa.column("note", sa.Text),
)


def _paying_intents() -> None:
    bind = op.get_bind()
    confirmations = bind.execute(
        sa.select(order.c.id, order.c.provider_payment_id, state_change.c.note)
        .join(state_change, state_change.c.entity_id == order.c.id)
        .where(
            order.c.status == "paid",
            order.c.payment_provider == "stripe",
            state_change.c.entity == "order",
            state_change.c.from_status.in_(["pending", "expired"]),
            state_change.c.to_status == "paid",
            state_change.c.note.like("payment pi\\_%", escape="\\"),
        )
    ).all()
    for order_id, recorded, note in confirmations:
        paid_by = note.split()[1].rstrip(";:,")
        taken = bind.scalar(sa.select(sa.func.count()).where(order.c.provider_payment_id == paid_by))
        if paid_by != recorded and not taken:
            bind.execute(order.update().where(order.c.id == order_id).values(provider_payment_id=paid_by))


def upgrade() -> None:
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_intent_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_refund_payment_intent_id"), ["payment_intent_id"])
    _paying_intents()


def downgrade() -> None:
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_refund_payment_intent_id"), type_="unique")
        batch_op.drop_column("payment_intent_id")
