"""group invoice shares keep the order's hold and due date from before the invoice stretched them

Revision ID: 8d2b6e1f4c73
Revises: 7c1e4b9d2a63
Create Date: 2026-12-04 19:30:00+00:00

A cancelled group invoice gives its orders back their own hold (``statements.groups.cancel_group_invoice``);
shares written before this have none kept, and their holds run on as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "8d2b6e1f4c73"
down_revision: str | None = "7c1e4b9d2a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both engines: a batch copy of the table on SQLite would drop its triggers.
    op.add_column("group_invoice_order", sa.Column("hold_before", DateTimeUTC(timezone=True), nullable=True))
    op.add_column("group_invoice_order", sa.Column("due_before", DateTimeUTC(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("group_invoice_order", "due_before")
    op.drop_column("group_invoice_order", "hold_before")
