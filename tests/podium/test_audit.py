"""The audit trail (``podium.audit``): before → after of each kind of change, secrets never stored, the actor
and the event filled in, and the organizer-only read APIs with their filters and CSV."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select, text

from podium import audit
from podium.audit_models import AuditEntry
from podium.auth.models import User
from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


async def _entries(settings: Settings, **where: object) -> list[AuditEntry]:
    async with db_session_for(settings) as db_session:
        query = select(AuditEntry).order_by(AuditEntry.created_at, AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list((await db_session.scalars(query)).all())


async def test_record_updated_keeps_only_what_changed_before_and_after(settings: Settings) -> None:
    thing = uuid.uuid4()
    before = {"name": "Members", "amount": 45000, "when": None}
    after = {"name": "Members", "amount": 50000, "when": "2027-01-01"}

    async with db_session_for(settings) as db_session:
        entry = audit.record_updated(db_session, "category", thing, before, after, "organizer:ann@podium.test")
        unchanged = audit.record_updated(db_session, "category", thing, after, dict(after), "organizer:ann@x")
        await db_session.commit()

    assert unchanged is None
    assert entry is not None
    [stored] = await _entries(settings, entity_id=thing)
    assert (stored.action, stored.changes) == ("updated", {"amount": [45000, 50000], "when": [None, "2027-01-01"]})
    assert (stored.actor, stored.actor_role, stored.actor_user_id) == ("organizer:ann@podium.test", "organizer", None)


async def test_secret_fields_are_never_stored_only_that_they_changed(settings: Settings) -> None:
    user_id = uuid.uuid4()
    user = User(
        id=user_id,
        email="sec@podium.test",
        display_name="Sec",
        password_hash="$argon2id$v=19$secret-hash-value",
        role="staff",
        is_active=True,
    )

    async with db_session_for(settings) as db_session:
        audit.record_created(db_session, "user", user_id, audit.snapshot(user), audit.SYSTEM)
        audit.record_updated(
            db_session,
            "user",
            user_id,
            {"api_token": "tok-1", "access_code": "PRESS-1", "webhook_secret": None},
            {"api_token": "tok-2", "access_code": "PRESS-2", "webhook_secret": "whsec_x"},
            audit.SYSTEM,
        )
        audit.record_updated(
            db_session, "user", user_id, {}, {}, audit.SYSTEM, action="password_changed", secrets_changed=["password"]
        )
        await db_session.commit()
        raw = (await db_session.execute(text("SELECT changes FROM state_change"))).scalars().all()

    created, updated, password = await _entries(settings, entity_id=user_id)
    assert created.changes["password_hash"] == [None, audit.REDACTED]
    assert created.changes["email"] == [None, "sec@podium.test"]
    assert updated.changes == {
        "api_token": [audit.REDACTED, audit.REDACTED],
        "access_code": [audit.REDACTED, audit.REDACTED],
        "webhook_secret": [None, audit.REDACTED],
    }
    assert (password.action, password.changes) == ("password_changed", {"password": [audit.REDACTED] * 2})
    dumped = json.dumps([r if isinstance(r, str) else json.dumps(r) for r in raw])
    assert [s for s in ("secret-hash-value", "tok-1", "tok-2", "PRESS-1", "PRESS-2", "whsec_x") if s in dumped] == []


def test_secret_names_are_matched_as_words() -> None:
    secret = ["password_hash", "token_hash", "sealed_private_key", "access_code", "secret", "api_key", "salt"]
    plain = ["name", "keynote", "tokenizer", "monkey", "hashtag", "access", "code", "email"]

    assert [name for name in secret if not audit.is_secret(name)] == []
    assert [name for name in plain if audit.is_secret(name)] == []


async def test_an_order_s_entries_carry_its_event_the_buyer_as_actor(client: Client, settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})

    entries = await _entries(settings, entity_id=uuid.UUID(order["id"]))

    assert [(e.action, e.from_status, e.to_status) for e in entries] == [
        ("created", None, "pending"),
        ("paid", "pending", "paid"),
    ]
    assert {e.event_id for e in entries} == {catalog.event_id}
    assert entries[1].changes == {"status": ["pending", "paid"]}
    assert {e.actor_role for e in entries} == {"attendee"}


async def test_an_entry_recorded_without_its_event_finds_it_at_flush(settings: Settings) -> None:
    from registration.audit import record

    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        record(db_session, "category", catalog.member.id, None, "noted", "system", "a note")
        await db_session.commit()

    [entry] = await _entries(settings, entity_id=catalog.member.id)
    assert (entry.event_id, entry.action, entry.actor_role) == (catalog.event_id, "noted", "system")
