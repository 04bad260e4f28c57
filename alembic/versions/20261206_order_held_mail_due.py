"""order held mail due: a new order's "pay by" mail is written by the sweep if the order is still unpaid then

Revision ID: 7a3c9e1f5b28
Revises: 3d7f1b6e9a52
Create Date: 2026-12-06 01:10:00+00:00

The mail was written with every order (an outbox row in the order's own statement, due 30 s later) and nearly
always superseded by the payment: most buyers pay on the page they ordered on. Now the order keeps when the
mail falls due, and the periodic sweep writes it only for orders still unpaid by then (``registration.mail.held``).
Orders from before have their mail written already: theirs stays empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "7a3c9e1f5b28"
down_revision: str | None = "3d7f1b6e9a52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reg_order", sa.Column("held_mail_due_at", DateTimeUTC(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("reg_order", "held_mail_due_at")
