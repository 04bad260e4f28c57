"""reader time zone: the zone an order and its registrations were made in, for their mails

Revision ID: 7c1e4b9d2a63
Revises: 3f6a9c2e8d51
Create Date: 2026-12-04 19:10:00+00:00

A mail goes out long after the request that placed the order (a session moved, a hold about to lapse): the
buyer's zone, read from their browser's cookie when ordering, is kept on the rows, as the language is. Rows from
before have none: their mails show the event's time only, as they always did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e4b9d2a63"
down_revision: str | None = "3f6a9c2e8d51"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reg_order", sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.add_column("registration", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("registration", "time_zone")
    op.drop_column("reg_order", "time_zone")
