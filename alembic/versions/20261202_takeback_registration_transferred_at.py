"""registration: transferred_at (a transfer cuts the buyer's order link off that registration)

Revision ID: 7a4c2e9b1d63
Revises: 3b7f1c2d9e40
Create Date: 2026-12-02 18:00:00+00:00

Registrations transferred before this column existed get the time of their latest transfer from the audit
trail (``state_change`` notes "transferred from …"), so their buyers lose access too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "7a4c2e9b1d63"
down_revision: str | None = "3b7f1c2d9e40"
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
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transferred_at", DateTimeUTC(timezone=True), nullable=True))
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
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("transferred_at")
