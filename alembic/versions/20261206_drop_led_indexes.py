"""drop led indexes: 23 single-column indexes whose column already leads a unique constraint on its table

Revision ID: 5e8b2d4f7a19
Revises: 7a3c9e1f5b28
Create Date: 2026-12-06 05:40:00+00:00

Each (say ``ix_room_event_id``) came with ``index=True`` on a foreign key whose table also has a unique
constraint starting with that key (``uq_room_event_name``, event_id then name): a B-tree serves lookups by its
leading columns, so the lone index only cost every insert and update a second entry to write. The partial ones
stay: a partial index serves only the rows it covers. ``tests/podium/test_schema_indexes.py`` keeps new ones out.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e8b2d4f7a19"
down_revision: str | None = "7a3c9e1f5b28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column): the index is ix_<table>_<column>, as the naming convention makes it.
LED = (
    ("abstract_topic", "call_id"),
    ("add_on", "event_id"),
    ("agenda_item", "registration_id"),
    ("badge", "event_id"),
    ("bank_credit", "order_id"),
    ("bank_statement", "event_id"),
    ("cancellation_fee_rule", "event_id"),
    ("checkpoint", "event_id"),
    ("price_window", "category_id"),
    ("promo_code", "event_id"),
    ("quota_item", "quota_id"),
    ("reg_category", "event_id"),
    ("reg_question", "event_id"),
    ("review_assignment", "abstract_id"),
    ("review_score", "review_id"),
    ("reviewer", "call_id"),
    ("room", "event_id"),
    ("rubric_criterion", "call_id"),
    ("session_speaker", "session_id"),
    ("speaker", "event_id"),
    ("submission_type", "call_id"),
    ("talk", "program_session_id"),
    ("track", "event_id"),
)


def upgrade() -> None:
    for table, column in LED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)


def downgrade() -> None:
    for table, column in LED:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)
