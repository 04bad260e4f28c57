"""presenter category: the registration category a call's confirmed presenters are pointed at

Revision ID: 3d7f1b9e5a26
Revises: 7b3e5d9a1c42
Create Date: 2026-12-04 15:00:00+00:00

A nullable column with its foreign key: on SQLite a batch copy of the table (the only way to add a named key
that reads back as written), safe for its children because env.py migrates with foreign keys off and checks
them after.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision: str = "3d7f1b9e5a26"
down_revision: str | None = "7b3e5d9a1c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_call_for_abstracts_presenter_category_id_reg_category"


def upgrade() -> None:
    with op.batch_alter_table("call_for_abstracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("presenter_category_id", GUID(length=16), nullable=True))
        batch_op.create_foreign_key(FK, "reg_category", ["presenter_category_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("call_for_abstracts", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.drop_column("presenter_category_id")
