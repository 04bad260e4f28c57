"""The migration that turned ``state_change`` into the audit trail keeps the old rows and fills them in: their
event, action, changes and the actor's role and account (its own module: it migrates this module's database
down and up again)."""

from __future__ import annotations

import uuid

import anyio.to_thread
import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import select

from podium.audit_models import AuditEntry
from podium.auth.models import User
from podium.db import utcnow
from podium.main.cli import downgrade, migrate
from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

BEFORE = "8e3d5b0c7a14"  # the revision before the audit trail
OLD_TABLE = sa.table(
    "state_change",
    sa.column("id", GUID(length=16)),
    sa.column("entity", sa.String(20)),
    sa.column("entity_id", GUID(length=16)),
    sa.column("from_status", sa.String(24)),
    sa.column("to_status", sa.String(24)),
    sa.column("actor", sa.String(340)),
    sa.column("note", sa.Text),
    sa.column("created_at", DateTimeUTC(timezone=True)),
    sa.column("updated_at", DateTimeUTC(timezone=True)),
)


async def test_old_state_changes_get_their_event_action_changes_and_actor(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        organizer_row = await db_session.scalar(select(User).where(User.role == "organizer"))
        assert organizer_row is not None
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    await anyio.to_thread.run_sync(downgrade, settings, BEFORE)
    note_id = uuid.uuid4()
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            OLD_TABLE.insert().values(
                id=note_id,
                entity="order",
                entity_id=uuid.UUID(order["id"]),
                from_status="paid",
                to_status="paid",
                actor=f"organizer:{organizer_row.email}",
                note="refund 100: parking",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        await db_session.commit()

    await anyio.to_thread.run_sync(migrate, settings, "head")

    async with db_session_for(settings) as db_session:
        rows = (
            await db_session.scalars(
                select(AuditEntry).where(AuditEntry.entity_id == uuid.UUID(order["id"])).order_by(AuditEntry.created_at)
            )
        ).all()
    created, paid, noted = sorted(rows, key=lambda r: ["created", "paid", "noted"].index(r.action))
    assert (created.action, created.changes, created.actor_role) == (
        "created",
        {"status": [None, "pending"]},
        "attendee",
    )
    assert (paid.action, paid.changes) == ("paid", {"status": ["pending", "paid"]})
    assert (noted.id, noted.action, noted.changes, noted.note) == (note_id, "noted", {}, "refund 100: parking")
    assert (noted.actor_role, noted.actor_user_id) == ("organizer", organizer_row.id)
    assert {r.event_id for r in rows} == {catalog.event_id}
