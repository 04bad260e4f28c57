"""waitlist time zone: the zone a person joined a waitlist in, for their offer and reminder mails

Revision ID: 4b8e2f6a1c35
Revises: 8c4e1a7b2d93
Create Date: 2026-12-04 22:30:00+00:00

An offer goes out when a seat frees up, long after the request that queued the person: their zone, read from the
browser's cookie when joining, is kept on the row, as orders and registrations keep theirs, so the offer's
deadline shows their own clock beside the event's. Rows from before have none: the event's time only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b8e2f6a1c35"
down_revision: str | None = "8c4e1a7b2d93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("waitlist_entry", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("waitlist_entry", "time_zone")
