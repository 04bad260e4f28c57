"""group invoice locale: the language an institution's invoice is printed in

Revision ID: 6b1d9e4f2a70
Revises: 4b8e2f6a1c35
Create Date: 2026-12-05 00:00:00+00:00

An institution abroad is billed in its own language, chosen when the invoice is made; invoices made before print
in their event's default language, as they would have if chosen then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b1d9e4f2a70"
down_revision: str | None = "4b8e2f6a1c35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("group_invoice", sa.Column("locale", sa.String(length=16), server_default="en", nullable=False))
    op.execute(
        "UPDATE group_invoice SET locale ="
        " (SELECT event.default_locale FROM event WHERE event.id = group_invoice.event_id)"
    )


def downgrade() -> None:
    op.drop_column("group_invoice", "locale")
