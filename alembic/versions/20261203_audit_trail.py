"""audit trail: state_change becomes the kernel's audit log (event, action, changes, actor's account and role)

Revision ID: 96b34962e288
Revises: 8e3d5b0c7a14
Create Date: 2026-12-03 06:00:00+00:00

The old rows stay and are filled in: their event from the order, registration, waitlist entry, program session
or badge they describe; ``action`` from the status they reached (``created`` for a new order or registration,
``noted`` where the status stayed); ``changes`` as ``{"status": [from, to]}``; the actor's role from the label's
prefix and their account from its e-mail address. SQLite rebuilds the table (batch mode); nothing points at it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, JsonB
from alembic import op

revision: str = "96b34962e288"
down_revision: str | None = "8e3d5b0c7a14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# entity -> the table whose row carries its event_id (an event's own entries point at the event itself).
EVENT_OF = {
    "order": "reg_order",
    "registration": "registration",
    "waitlist": "waitlist_entry",
    "program_session": "program_session",
    "badge": "badge",
}
ROLE_OF_PREFIX = {
    "organizer": "organizer",
    "staff": "staff",
    "buyer": "attendee",
    "attendee": "attendee",
    "system": "system",
    "stripe": "system",
    "job": "job",
}


def upgrade() -> None:
    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", GUID(length=16), nullable=True))
        batch_op.add_column(sa.Column("action", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("changes", JsonB, nullable=True))
        batch_op.add_column(sa.Column("actor_user_id", GUID(length=16), nullable=True))
        batch_op.add_column(sa.Column("actor_role", sa.String(length=20), nullable=True))
        batch_op.alter_column("entity", existing_type=sa.String(length=20), type_=sa.String(length=32))
        batch_op.alter_column("to_status", existing_type=sa.String(length=24), nullable=True)

    postgres = op.get_bind().dialect.name == "postgresql"
    for entity, table in EVENT_OF.items():
        op.execute(
            f"UPDATE state_change SET event_id = (SELECT t.event_id FROM {table} t WHERE t.id = state_change.entity_id)"  # noqa: S608 (our constants)
            f" WHERE entity = '{entity}'"
        )
    op.execute("UPDATE state_change SET event_id = entity_id WHERE entity = 'event'")
    op.execute(
        "UPDATE state_change SET action = CASE"
        " WHEN from_status IS NULL AND entity IN ('order', 'registration') THEN 'created'"
        " WHEN from_status = to_status THEN 'noted'"
        " ELSE to_status END"
    )
    status_pair = (
        "jsonb_build_object('status', jsonb_build_array(from_status, to_status))"
        if postgres
        else "json_object('status', json_array(from_status, to_status))"
    )
    empty = "'{}'::jsonb" if postgres else "'{}'"
    op.execute(f"UPDATE state_change SET changes = CASE WHEN action = 'noted' THEN {empty} ELSE {status_pair} END")  # noqa: S608 (SQL fragments built above from our constants)
    roles = " ".join(
        f"WHEN actor = '{prefix}' OR actor LIKE '{prefix}:%' THEN '{role}'" for prefix, role in ROLE_OF_PREFIX.items()
    )
    op.execute(f"UPDATE state_change SET actor_role = CASE {roles} ELSE NULL END")  # noqa: S608 (SQL fragments built above from our constants)
    op.execute(
        "UPDATE state_change SET actor_user_id = (SELECT u.id FROM user_account u"
        " WHERE state_change.actor = 'organizer:' || u.email OR state_change.actor = 'staff:' || u.email)"
        " WHERE actor_role IN ('organizer', 'staff')"
    )

    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.alter_column("action", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("changes", existing_type=JsonB, nullable=False)
        batch_op.create_index("ix_state_change_event_created", ["event_id", "created_at"], unique=False)


def downgrade() -> None:
    # The old table had no room for entries that aren't status changes: they keep their action as the status.
    op.execute("UPDATE state_change SET to_status = substr(action, 1, 24) WHERE to_status IS NULL")
    op.execute("UPDATE state_change SET entity = substr(entity, 1, 20)")
    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.drop_index("ix_state_change_event_created")
        batch_op.alter_column("to_status", existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column("entity", existing_type=sa.String(length=32), type_=sa.String(length=20))
        batch_op.drop_column("actor_role")
        batch_op.drop_column("actor_user_id")
        batch_op.drop_column("changes")
        batch_op.drop_column("action")
        batch_op.drop_column("event_id")
