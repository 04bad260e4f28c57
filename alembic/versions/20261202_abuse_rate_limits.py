"""abuse limits: rate_limit (was login_throttle), login_address, reg_order.client_address and open-hold indexes

Revision ID: 7a2c4e9b1d35
Revises: 3b7f1c2d9e40
Create Date: 2026-12-02 09:00:00+00:00

``login_throttle`` becomes the general ``rate_limit`` (hits per key until its window ends, and a lock). Its rows
are short-lived counters, so the table is replaced rather than converted: a deploy forgets the failures of the
last quarter hour, as a restart of the window would.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "7a2c4e9b1d35"
down_revision: str | None = "3b7f1c2d9e40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("locked_until", DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit")),
    )
    op.create_table(
        "login_address",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("last_login_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_login_address_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "address", name=op.f("pk_login_address")),
    )
    with op.batch_alter_table("reg_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_address", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_reg_order_open_by_email",
            ["event_id", "buyer_email"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.create_index(
            "ix_reg_order_open_by_address",
            ["event_id", "client_address"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("reg_order", schema=None) as batch_op:
        batch_op.drop_index("ix_reg_order_open_by_address", postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.drop_index("ix_reg_order_open_by_email", postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.drop_column("client_address")
    op.drop_table("login_address")
    op.drop_table("rate_limit")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("locked_until", DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
