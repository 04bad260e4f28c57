"""mail: outbox messages as template + context (rendered when sent), a superseded status, event wording

Revision ID: 688a9180fcfe
Revises: 80ad72f8d90c
Create Date: 2026-12-03 06:10:00+00:00

Rows written before this keep their subject and text and are sent as they are (``template`` empty).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision: str = "688a9180fcfe"
down_revision: str | None = "80ad72f8d90c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("context", JsonB, nullable=False, server_default="{}"))
        batch_op.drop_constraint(batch_op.f("ck_outbox_message_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_outbox_message_status"), "status in ('pending', 'sent', 'failed', 'superseded')"
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("template", server_default=None)
        batch_op.alter_column("context", server_default=None)
    op.create_table(
        "mail_wording",
        sa.Column("event_id", GUID(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("sign_off", sa.Text(), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_mail_wording_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_wording")),
        sa.UniqueConstraint("event_id", "template", name="uq_mail_wording_event_template"),
    )


def downgrade() -> None:
    op.drop_table("mail_wording")
    op.execute("DELETE FROM outbox_message WHERE status = 'superseded'")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_message_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_outbox_message_status"), "status in ('pending', 'sent', 'failed')"
        )
        batch_op.drop_column("context")
        batch_op.drop_column("template")
