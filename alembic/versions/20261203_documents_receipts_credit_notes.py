"""registration: receipts and credit notes as frozen documents; seller and billing details

Revision ID: 80ad72f8d90c
Revises: 990183693fd6
Create Date: 2026-12-03 06:00:00+00:00

Each existing receipt becomes a ``document`` of kind ``receipt`` with the same number and date, frozen from
what its order says now (the sale: every registration with its price, the order's total). The counter moves
to ``document_counter`` with the same last numbers, so the series goes on. The downgrade keeps each order's
first receipt.
"""

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "80ad72f8d90c"
down_revision: str | None = "990183693fd6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

receipt = sa.table(
    "receipt",
    sa.column("id", GUID(length=16)),
    sa.column("order_id", GUID(length=16)),
    sa.column("event_id", GUID(length=16)),
    sa.column("number", sa.Integer),
    sa.column("issued_at", DateTimeUTC(timezone=True)),
    sa.column("created_at", DateTimeUTC(timezone=True)),
    sa.column("updated_at", DateTimeUTC(timezone=True)),
)
receipt_counter = sa.table(
    "receipt_counter", sa.column("event_id", GUID(length=16)), sa.column("last_number", sa.Integer)
)
document_counter = sa.table(
    "document_counter", sa.column("event_id", GUID(length=16)), sa.column("last_number", sa.Integer)
)
document = sa.table(
    "document",
    sa.column("id", GUID(length=16)),
    sa.column("order_id", GUID(length=16)),
    sa.column("event_id", GUID(length=16)),
    sa.column("kind", sa.String(12)),
    sa.column("corrects_id", GUID(length=16)),
    sa.column("reason", sa.String(40)),
    sa.column("currency", sa.String(3)),
    sa.column("total", sa.Integer),
    sa.column("data", JsonB),
    sa.column("number", sa.Integer),
    sa.column("issued_at", DateTimeUTC(timezone=True)),
    sa.column("created_at", DateTimeUTC(timezone=True)),
    sa.column("updated_at", DateTimeUTC(timezone=True)),
)
order = sa.table(
    "reg_order",
    sa.column("id", GUID(length=16)),
    sa.column("buyer_name", sa.String),
    sa.column("buyer_email", sa.String),
    sa.column("currency", sa.String),
    sa.column("subtotal", sa.Integer),
    sa.column("discount_total", sa.Integer),
    sa.column("total", sa.Integer),
    sa.column("paid_at", DateTimeUTC(timezone=True)),
)
event = sa.table(
    "event",
    sa.column("id", GUID(length=16)),
    sa.column("name", sa.String),
    sa.column("timezone", sa.String),
    sa.column("start_date", sa.Date),
    sa.column("end_date", sa.Date),
)
registration = sa.table(
    "registration",
    sa.column("id", GUID(length=16)),
    sa.column("order_id", GUID(length=16)),
    sa.column("category_id", GUID(length=16)),
    sa.column("position", sa.Integer),
    sa.column("first_name", sa.String),
    sa.column("last_name", sa.String),
    sa.column("category_amount", sa.Integer),
    sa.column("discount_amount", sa.Integer),
)
registration_add_on = sa.table(
    "registration_add_on",
    sa.column("registration_id", GUID(length=16)),
    sa.column("add_on_id", GUID(length=16)),
    sa.column("amount", sa.Integer),
    sa.column("discount_amount", sa.Integer),
)
category = sa.table("reg_category", sa.column("id", GUID(length=16)), sa.column("name", sa.String))
add_on = sa.table("add_on", sa.column("id", GUID(length=16)), sa.column("name", sa.String))


def _dates(start: Any, end: Any) -> str:
    first = f"{start:%A} {start:%B} {start.day}, {start.year}"
    return first if end == start else f"{first} to {end:%A} {end:%B} {end.day}, {end.year}"


def _freeze_receipts() -> None:
    from zoneinfo import ZoneInfo

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(receipt, order, event.c.name, event.c.timezone, event.c.start_date, event.c.end_date)
        .join(order, order.c.id == receipt.c.order_id)
        .join(event, event.c.id == receipt.c.event_id)
    ).mappings()
    for row in rows.all():
        lines: list[dict[str, Any]] = []
        registrations = bind.execute(
            sa.select(registration, category.c.name)
            .join(category, category.c.id == registration.c.category_id)
            .where(registration.c.order_id == row["order_id"])
            .order_by(registration.c.position)
        ).mappings()
        for r in registrations.all():
            lines.append(
                {
                    "description": f"{r['first_name']} {r['last_name']}: {r['name']}",
                    "amount": r["category_amount"],
                    "discount": r["discount_amount"],
                }
            )
            extras = bind.execute(
                sa.select(registration_add_on, add_on.c.name)
                .join(add_on, add_on.c.id == registration_add_on.c.add_on_id)
                .where(registration_add_on.c.registration_id == r["id"])
            ).mappings()
            lines.extend(
                {"description": f"   + {a['name']}", "amount": a["amount"], "discount": a["discount_amount"]}
                for a in extras.all()
            )
        paid_at = row["paid_at"] or row["issued_at"]
        data = {
            "kind": "receipt",
            "event_name": row["name"],
            "event_dates": _dates(row["start_date"], row["end_date"]),
            "seller": {"legal_name": "", "address": "", "tax_id": ""},
            "footer": "",
            "buyer": {"name": row["buyer_name"], "email": row["buyer_email"]},
            "currency": row["currency"],
            "lines": lines,
            "subtotal": row["subtotal"],
            "discount_total": row["discount_total"],
            "total": row["total"],
            "taxes": [],
            "paid_on": paid_at.astimezone(ZoneInfo(row["timezone"])).date().isoformat(),
            "corrects": None,
            "note": "",
        }
        bind.execute(
            document.insert().values(
                id=uuid4(),
                order_id=row["order_id"],
                event_id=row["event_id"],
                kind="receipt",
                corrects_id=None,
                reason="payment",
                currency=row["currency"],
                total=row["total"],
                data=data,
                number=row["number"],
                issued_at=row["issued_at"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
        )


def upgrade() -> None:
    op.create_table(
        "document_counter",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_document_counter_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_document_counter")),
    )
    op.create_table(
        "document",
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("corrects_id", GUID(length=16), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("data", JsonB, nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("issued_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("(kind = 'credit_note') = (corrects_id is not null)", name=op.f("ck_document_corrects")),
        sa.CheckConstraint("(number is null) = (issued_at is null)", name=op.f("ck_document_issued")),
        sa.CheckConstraint("kind in ('receipt', 'credit_note')", name=op.f("ck_document_kind")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["document.id"], name=op.f("fk_document_corrects_id_document"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_document_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_document_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("corrects_id", name="uq_document_corrects_id"),
        sa.UniqueConstraint("event_id", "number", name="uq_document_event_number"),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index("ix_document_order", ["order_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_document_pending",
            ["event_id"],
            unique=False,
            postgresql_where=sa.text("number is null"),
            sqlite_where=sa.text("number is null"),
        )
    op.create_table(
        "seller_details",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("tax_id", sa.String(length=40), nullable=False),
        sa.Column("footer", sa.String(length=500), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_seller_details_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_details")),
        sa.UniqueConstraint("event_id", name=op.f("uq_seller_details_event_id")),
    )
    op.create_table(
        "billing_details",
        sa.Column("order_id", GUID(length=16), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("tax_id", sa.String(length=40), nullable=False),
        sa.Column("po_number", sa.String(length=60), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["reg_order.id"], name=op.f("fk_billing_details_order_id_reg_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_details")),
        sa.UniqueConstraint("order_id", name=op.f("uq_billing_details_order_id")),
    )
    bind = op.get_bind()
    bind.execute(document_counter.insert().from_select(["event_id", "last_number"], sa.select(receipt_counter)))
    _freeze_receipts()
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_event_id"))
    op.drop_table("receipt")
    op.drop_table("receipt_counter")


def downgrade() -> None:
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
    bind = op.get_bind()
    bind.execute(receipt_counter.insert().from_select(["event_id", "last_number"], sa.select(document_counter)))
    first = (
        sa.select(document.c.order_id, sa.func.min(document.c.number).label("number"))
        .where(document.c.kind == "receipt", document.c.number.is_not(None))
        .group_by(document.c.order_id)
        .subquery()
    )
    kept = bind.execute(
        sa.select(document).join(
            first, sa.and_(first.c.order_id == document.c.order_id, first.c.number == document.c.number)
        )
    ).mappings()
    for row in kept.all():
        bind.execute(
            receipt.insert().values(
                id=row["id"],
                order_id=row["order_id"],
                event_id=row["event_id"],
                number=row["number"],
                issued_at=row["issued_at"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
        )
    op.drop_table("billing_details")
    op.drop_table("seller_details")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_pending", sqlite_where=sa.text("number is null"))
        batch_op.drop_index("ix_document_order")
    op.drop_table("document")
    op.drop_table("document_counter")
