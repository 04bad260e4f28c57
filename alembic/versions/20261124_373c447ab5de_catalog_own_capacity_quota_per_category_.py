"""catalog: own capacity quota per category and add-on

Revision ID: 373c447ab5de
Revises: a6a72cbfaddd
Create Date: 2026-11-24 23:07:15.207399+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision: str = "373c447ab5de"
down_revision: str | None = "a6a72cbfaddd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("add_on", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity_quota_id", GUID(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_add_on_capacity_quota_id_quota"), "quota", ["capacity_quota_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("reg_category", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity_quota_id", GUID(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reg_category_capacity_quota_id_quota"),
            "quota",
            ["capacity_quota_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("reg_category", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reg_category_capacity_quota_id_quota"), type_="foreignkey")
        batch_op.drop_column("capacity_quota_id")

    with op.batch_alter_table("add_on", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_add_on_capacity_quota_id_quota"), type_="foreignkey")
        batch_op.drop_column("capacity_quota_id")
