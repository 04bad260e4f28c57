"""passwordless sign-in: the member role, accounts without a password, sign_in_token

Revision ID: 8c4f2a6e1b93
Revises: 4c8e2a6f0b13
Create Date: 2026-12-04 10:40:00+00:00

Submitters, reviewers and attendees sign in by a link or code mailed to them (``podium/auth/sign_in.py``):
their accounts have the role ``member`` (below staff) and no password hash. ``sign_in_token`` keeps each
mailed sign-in: the link's hash, the code's HMAC, where to go after, when it expires and when it was used.
SQLite changes the CHECK and the column's nullability by copying the table (batch mode; foreign keys are off
while migrations run, ``alembic/env.py``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "8c4f2a6e1b93"
down_revision: str | None = "4c8e2a6f0b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_BEFORE = "role in ('organizer', 'staff')"
ROLES_AFTER = "role in ('member', 'staff', 'organizer')"


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_account_role"), ROLES_AFTER)
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)
    op.create_table(
        "sign_in_token",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("code_tries", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_sign_in_token_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_token_token_hash")),
    )
    with op.batch_alter_table("sign_in_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_token_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_token_user_id"))
    op.drop_table("sign_in_token")
    # Accounts without a password can't exist before this revision. They are kept (abstracts and reviews name
    # them) as deactivated staff accounts whose hash no password matches ("!" is no Argon2 hash), logins ended.
    op.execute(
        "DELETE FROM auth_token WHERE user_id IN (SELECT id FROM user_account WHERE role = 'member' OR password_hash IS NULL)"
    )
    op.execute(
        "UPDATE user_account SET role = 'staff', is_active = false, password_hash = '!' "
        "WHERE role = 'member' OR password_hash IS NULL"
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_account_role"), ROLES_BEFORE)
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
