"""talk public facts: the authors' names and the abstract's public link, handed in by abstracts; an index on
``visible_from`` for the public program's embargo mark

Revision ID: 3f6a9c2e8d51
Revises: 5c1e8f3a9d27
Create Date: 2026-12-04 14:40:00+00:00

The public program shows a talk's authors and links to its abstract; sessions never imports abstracts, so both
are stored on the talk when abstracts places it. Every public fingerprint reads the latest ``visible_from``
already passed (``sessions.talks.EMBARGO_MARK``), one index lookup with this index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6a9c2e8d51"
down_revision: str | None = "5c1e8f3a9d27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both engines: a batch copy of the table on SQLite would drop its triggers.
    op.add_column("talk", sa.Column("authors", sa.Text(), nullable=False, server_default=""))
    op.add_column("talk", sa.Column("link", sa.String(length=500), nullable=False, server_default=""))
    op.create_index(op.f("ix_talk_visible_from"), "talk", ["visible_from"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_talk_visible_from"), table_name="talk")
    op.drop_column("talk", "link")
    op.drop_column("talk", "authors")
