"""registration: transferred_at (a transfer cuts the buyer's order link off that registration)

Revision ID: 7a4c2e9b1d63
Revises: 7a2c4e9b1d35
Create Date: 2026-12-02 18:00:00+00:00

Registrations transferred before this column existed get the time of their latest transfer from the audit
trail (``state_change`` notes "transferred from …"), so their buyers lose access too. Plain ALTER TABLE both
ways: no batch copy of the table (see ``downgrade``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "7a4c2e9b1d63"
down_revision: str | None = "7a2c4e9b1d35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

registration = sa.table(
    "registration", sa.column("id", GUID(length=16)), sa.column("transferred_at", DateTimeUTC(timezone=True))
)
state_change = sa.table(
    "state_change",
    sa.column("entity", sa.String(20)),
    sa.column("entity_id", GUID(length=16)),
    sa.column("note", sa.Text),
    sa.column("created_at", DateTimeUTC(timezone=True)),
)


def upgrade() -> None:
    op.add_column("registration", sa.Column("transferred_at", DateTimeUTC(timezone=True), nullable=True))
    latest = (
        sa.select(sa.func.max(state_change.c.created_at))
        .where(
            state_change.c.entity == "registration",
            state_change.c.entity_id == registration.c.id,
            state_change.c.note.like("transferred from %"),
        )
        .scalar_subquery()
    )
    op.execute(registration.update().values(transferred_at=latest))


def downgrade() -> None:
    # Plain ALTER TABLE on both engines (SQLite has DROP COLUMN since 3.35): a batch copy of the table would
    # drop the old one, and with foreign keys on, SQLite's implicit delete cascades to badges, agendas, scans.
    op.execute("ALTER TABLE registration DROP COLUMN transferred_at")
