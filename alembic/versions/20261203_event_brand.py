"""event brand: event.brand_colour, event.logo_digest and the event_logo table

Revision ID: 5b7e1c0d9a21
Revises: 17a4a01d803b
Create Date: 2026-12-03 11:00:00+00:00

An organizer gives an event an accent colour and a logo (re-encoded to PNG, kept in the database so every
worker serves it). Plain ALTER TABLE both ways on ``event`` (no batch copy: with foreign keys on, SQLite's
implicit delete of the old table would cascade to everything that hangs off an event).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "5b7e1c0d9a21"
down_revision: str | None = "17a4a01d803b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("brand_colour", sa.String(length=7), nullable=True))
    op.add_column("event", sa.Column("logo_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "event_logo",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("width > 0 and height > 0", name=op.f("ck_event_logo_size")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_logo_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_logo")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_logo_event_id")),
    )


def downgrade() -> None:
    op.drop_table("event_logo")
    op.execute("ALTER TABLE event DROP COLUMN logo_digest")
    op.execute("ALTER TABLE event DROP COLUMN brand_colour")
