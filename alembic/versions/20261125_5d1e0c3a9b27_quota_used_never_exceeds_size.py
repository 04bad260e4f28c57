"""registration: the database itself refuses a quota counter above its size

Revision ID: 5d1e0c3a9b27
Revises: dc7e698d5e2f
Create Date: 2026-11-25 07:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d1e0c3a9b27"
down_revision: str | None = "dc7e698d5e2f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quota", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_quota_fits"), "used <= size")


def downgrade() -> None:
    with op.batch_alter_table("quota", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_quota_fits"), type_="check")
