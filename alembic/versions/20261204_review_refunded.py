"""review refunded: a bank statement line on the review list can be decided "refunded"

Revision ID: 9e3c5a7b1d24
Revises: 6b1d9e4f2a70
Create Date: 2026-12-04 23:00:00+00:00

Money that came for an expired or cancelled order (or more than an order's total) is sent back by the organizer:
the line leaves the review list as refunded, beside assigned and dismissed. Existing rows keep their status.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9e3c5a7b1d24"
down_revision: str | None = "6b1d9e4f2a70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "review_status in ('none', 'open', 'assigned', 'dismissed')"
_AFTER = "review_status in ('none', 'open', 'assigned', 'dismissed', 'refunded')"


def _check(condition: str) -> None:
    with op.batch_alter_table("bank_statement_line", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_bank_statement_line_review_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_bank_statement_line_review_status"), condition)


def upgrade() -> None:
    _check(_AFTER)


def downgrade() -> None:
    op.execute("UPDATE bank_statement_line SET review_status = 'dismissed' WHERE review_status = 'refunded'")
    _check(_BEFORE)
