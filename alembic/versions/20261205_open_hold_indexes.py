"""open hold indexes: each lookup of open holds in the order's first read implies one index's predicate only

Revision ID: 3d7f1b6e9a52
Revises: 8c2e5a9d1f47
Create Date: 2026-12-05 20:30:00+00:00

Before each new order, ``orders.snapshot`` counts the buyer's open holds and the address's, and asks whether the
event has lapsed ones. Both indexes were over every pending order, so PostgreSQL's generic plan (made while the
event's orders were few, when every index looks alike) used the buyer's for the address's count and for the
lapsed holds too, reading every open hold of the event on each new order. Now each index's predicate names the
column its lookup compares (the buyer's email, the address, the expiry) and the lapsed holds have their own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3d7f1b6e9a52"
down_revision: str | None = "8c2e5a9d1f47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "status = 'pending'"
INDEXES = {
    "ix_reg_order_open_by_email": (["event_id", "buyer_email"], "buyer_email"),
    "ix_reg_order_open_by_address": (["event_id", "client_address"], "client_address"),
}


def _create(name: str, columns: list[str], where: str) -> None:
    predicate = sa.text(where)
    op.create_index(name, "reg_order", columns, unique=False, postgresql_where=predicate, sqlite_where=predicate)


def upgrade() -> None:
    for name, (columns, compared) in INDEXES.items():
        op.drop_index(name, table_name="reg_order")
        _create(name, columns, f"{PENDING} AND {compared} IS NOT NULL")
    _create(
        "ix_reg_order_open_by_expiry", ["event_id", "hold_expires_at"], f"{PENDING} AND hold_expires_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_reg_order_open_by_expiry", table_name="reg_order")
    for name, (columns, _compared) in INDEXES.items():
        op.drop_index(name, table_name="reg_order")
        _create(name, columns, PENDING)
