"""content translations: an event's default language and per-language texts of its description, category and
add-on names and session titles

Revision ID: 8c4e1a7b2d93
Revises: 8d2b6e1f4c73
Create Date: 2026-12-04 19:05:00+00:00

Existing events are English and have no translations: every visitor keeps reading the base texts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import JsonB
from alembic import op

revision: str = "8c4e1a7b2d93"
down_revision: str | None = "8d2b6e1f4c73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRANSLATED = ("event", "reg_category", "add_on", "program_session")


def upgrade() -> None:
    op.add_column("event", sa.Column("default_locale", sa.String(length=16), server_default="en", nullable=False))
    for table in TRANSLATED:
        op.add_column(table, sa.Column("translations", JsonB, server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    for table in reversed(TRANSLATED):
        op.drop_column(table, "translations")
    op.drop_column("event", "default_locale")
