"""symposium proposals: talks per proposal on submission_type, the chair on abstract

Revision ID: 6e2b8d4f1a37
Revises: 3d1f7c5a9e20
Create Date: 2026-12-04 15:05:00+00:00

A symposium proposal is an abstract of a symposium type (title, rationale as its body, ``chair``) whose talks
are abstracts naming it (``parent_abstract_id``); its type says how many talks it needs when submitted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6e2b8d4f1a37"
down_revision: str | None = "3d1f7c5a9e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submission_type", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_talks", sa.Integer(), server_default="2", nullable=False))
        batch_op.add_column(sa.Column("max_talks", sa.Integer(), server_default="6", nullable=False))
    with op.batch_alter_table("abstract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chair", sa.String(length=200), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("abstract", schema=None) as batch_op:
        batch_op.drop_column("chair")
    with op.batch_alter_table("submission_type", schema=None) as batch_op:
        batch_op.drop_column("max_talks")
        batch_op.drop_column("min_talks")
