"""waitlist locale: the language a person joined a waitlist in, for its offer and reminder mails

Revision ID: 3f9a2c7d5e10
Revises: 5e2d7c4b9a61
Create Date: 2026-12-04 15:10:00+00:00

An offer goes out when a seat frees up, long after the request that queued the person: the language is kept on
the row, as orders and registrations keep theirs. Rows from before are English.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f9a2c7d5e10"
down_revision: str | None = "5e2d7c4b9a61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("waitlist_entry", sa.Column("locale", sa.String(length=16), server_default="en", nullable=False))


def downgrade() -> None:
    op.drop_column("waitlist_entry", "locale")
