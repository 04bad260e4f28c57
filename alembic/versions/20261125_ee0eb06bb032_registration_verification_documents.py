"""registration: verification documents

Revision ID: ee0eb06bb032
Revises: f65a09a13609
Create Date: 2026-11-25 04:17:52.025379+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "ee0eb06bb032"
down_revision: str | None = "f65a09a13609"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verification_document",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("registration_id", GUID(length=16), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=340), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "content_type in ('application/pdf', 'image/png', 'image/jpeg')",
            name=op.f("ck_verification_document_content_type"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_verification_document_size")),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_verification_document_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_document")),
    )
    with op.batch_alter_table("verification_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verification_document_registration_id"), ["registration_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("verification_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_document_registration_id"))

    op.drop_table("verification_document")
