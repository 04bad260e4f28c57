"""abstract_book: the abstract book built by a job, its state and the finished PDF

Revision ID: 3d1f7c5a9e20
Revises: 3f9a2c7d5e10
Create Date: 2026-12-04 14:45:00+00:00

One row per call (``abstracts/book_models.py``): a request queues a build, the job draws it and stores the
PDF in the row, so any worker can serve the download.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "3d1f7c5a9e20"
down_revision: str | None = "3f9a2c7d5e10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "abstract_book",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("call_id", GUID(length=16), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("started_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("finished_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("abstracts", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("state in ('queued', 'running', 'done', 'failed')", name=op.f("ck_abstract_book_state")),
        sa.CheckConstraint("abstracts >= 0", name=op.f("ck_abstract_book_abstracts")),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_for_abstracts.id"],
            name=op.f("fk_abstract_book_call_id_call_for_abstracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_book")),
        sa.UniqueConstraint("call_id", name=op.f("uq_abstract_book_call_id")),
    )


def downgrade() -> None:
    op.drop_table("abstract_book")
