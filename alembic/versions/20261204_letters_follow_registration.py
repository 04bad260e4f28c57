"""letters follow the registration: why a letter was revoked, a new holder's own letter, the signatory's title

Revision ID: 5e2d7c4b9a61
Revises: 2b9d4e7a6c18
Create Date: 2026-12-04 14:50:00+00:00

``visa_letter.revoked_because`` says who or what ended a letter (organizer, cancelled, transferred, expired):
the public verification page shows that reason, never the organizers' free note, and ``holder_name`` (the name
registered when the letter was asked for), since after a transfer the registration names someone else. A transferred registration's
new holder may ask for a letter of their own, so ``registration_id`` is no longer unique (still indexed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2d7c4b9a61"
down_revision: str | None = "2b9d4e7a6c18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visa_letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_because", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("holder_name", sa.String(length=300), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_visa_letter_revoked_because"),
            "revoked_because in ('organizer', 'cancelled', 'transferred', 'expired')",
        )
        batch_op.drop_constraint(batch_op.f("uq_visa_letter_registration_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_visa_letter_registration_id"), ["registration_id"], unique=False)
    with op.batch_alter_table("letter_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signatory_title", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("letter_settings", schema=None) as batch_op:
        batch_op.drop_column("signatory_title")
    with op.batch_alter_table("visa_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visa_letter_registration_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_visa_letter_registration_id"), ["registration_id"])
        batch_op.drop_constraint(batch_op.f("ck_visa_letter_revoked_because"), type_="check")
        batch_op.drop_column("holder_name")
        batch_op.drop_column("revoked_because")
