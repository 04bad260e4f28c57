"""registration locale: the language each order's buyer and each registration were created in

Revision ID: 8c4e1f2a7b90
Revises: 8c4f2a6e1b93
Create Date: 2026-12-04 11:00:00+00:00

Mails go out long after the request that caused them (the outbox, the jobs), in the language the person
registered in: it is kept on the row. Rows from before are English, the only language there was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4e1f2a7b90"
down_revision: str | None = "8c4f2a6e1b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("reg_order", "registration")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("locale", sa.String(length=16), server_default="en", nullable=False))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (no table copy), so the tables' triggers and partial indexes stay.
    for table in TABLES:
        op.drop_column(table, "locale")
