"""event target: event.registration_target and event.previous_edition

Revision ID: 8c2d4e6f1a37
Revises: 5b7e1c0d9a21
Create Date: 2026-12-03 11:20:00+00:00

The registrations chart compares the running count with a target and with the previous edition's curve. The
previous edition is kept by slug (a published event keeps its slug), so no foreign key needs a table copy on
SQLite; an edition that is gone simply draws no curve.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c2d4e6f1a37"
down_revision: str | None = "5b7e1c0d9a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("registration_target", sa.Integer(), nullable=True))
    op.add_column("event", sa.Column("previous_edition", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE event DROP COLUMN previous_edition")
    op.execute("ALTER TABLE event DROP COLUMN registration_target")
