"""The audit trail (``podium.audit``): before → after of each kind of change, secrets never stored, the actor
and the event filled in, and the organizer-only read APIs with their filters and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from typing import Any

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
    from registration.audit.services import record

    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        record(db_session, "category", catalog.member.id, None, "noted", "system", "a note")
        await db_session.commit()

    [entry] = await _entries(settings, entity_id=catalog.member.id)
    assert (entry.event_id, entry.action, entry.actor_role) == (catalog.event_id, "noted", "system")


async def test_an_entry_for_a_row_not_loaded_finds_its_event_by_one_query(settings: Settings) -> None:
    from registration.audit.services import record

    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    unknown = uuid.uuid4()

    async with db_session_for(settings) as db_session:  # a new session: nothing of the catalog is loaded
        record(db_session, "category", catalog.student.id, None, "noted", "job")
        record(db_session, "category", unknown, None, "noted", "job")
        await db_session.commit()

    [found] = await _entries(settings, entity_id=catalog.student.id)
    [missing] = await _entries(settings, entity_id=unknown)
    assert (found.event_id, found.actor_role) == (catalog.event_id, "job")
    assert missing.event_id is None


# --------------------------------------------------------------------------------- each kind of change, by API


async def _event(client: Client, organizer: dict[str, str]) -> str:
    body = {
        "slug": f"audit-{uuid.uuid4().hex[:8]}",
        "name": "Audit Meeting",
        "kind": "annual_meeting",
        "timezone": "America/New_York",
        "venue": "Hynes",
        "start_date": "2027-04-14",
        "end_date": "2027-04-18",
    }
    slug = (await client.post("/api/events", json=body, headers=organizer)).json()["slug"]
    await client.post(f"/api/events/{slug}/publish", headers=organizer)
    return slug


async def _trail(client: Client, organizer: dict[str, str], slug: str, **params: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/events/{slug}/audit", params={"limit": "500", **params}, headers=organizer)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["entries"]))  # oldest first, as the changes were made


def _kinds(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["entity"], e["action"]) for e in entries]


async def test_catalog_changes_are_recorded_with_prices_before_and_after(
    client: Client, organizer: dict[str, str]
) -> None:
    slug = await _event(client, organizer)
    windows = [{"label": "early", "starts_on": "2026-11-01", "amount": 40000}]
    category = (
        await client.post(
            f"/api/events/{slug}/categories",
            json={"code": "member", "name": "Member", "price_windows": windows, "capacity": 50},
            headers=organizer,
        )
    ).json()
    press = (
        await client.post(
            f"/api/events/{slug}/categories",
            json={
                "code": "press",
                "name": "Press",
                "eligibility": "access_code",
                "access_code": "PRESS-SECRET-1",
                "price_windows": [{"label": "all", "starts_on": "2026-11-01", "amount": 0}],
            },
            headers=organizer,
        )
    ).json()
    raised = [{"label": "early", "starts_on": "2026-11-01", "amount": 45000}]
    await client.patch(
        f"/api/events/{slug}/categories/{category['id']}",
        json={"price_windows": raised, "capacity": 60},
        headers=organizer,
    )
    await client.patch(
        f"/api/events/{slug}/categories/{press['id']}", json={"access_code": "PRESS-SECRET-2"}, headers=organizer
    )
    add_on = (
        await client.post(
            f"/api/events/{slug}/add-ons",
            json={"code": "gala", "name": "Gala", "kind": "reception", "amount": 9000},
            headers=organizer,
        )
    ).json()
    await client.patch(f"/api/events/{slug}/add-ons/{add_on['id']}", json={"amount": 9500}, headers=organizer)
    quota = (
        await client.post(
            f"/api/events/{slug}/quotas", json={"name": "Hall", "size": 500, "scope": "event"}, headers=organizer
        )
    ).json()
    await client.patch(f"/api/events/{slug}/quotas/{quota['id']}", json={"size": 400}, headers=organizer)
    promo = (
        await client.post(
            f"/api/events/{slug}/promo-codes",
            json={"code": "early10", "kind": "percent", "value": 10},
            headers=organizer,
        )
    ).json()
    await client.patch(f"/api/events/{slug}/promo-codes/{promo['id']}", json={"max_uses": 15}, headers=organizer)
    await client.delete(f"/api/events/{slug}/promo-codes/{promo['id']}", headers=organizer)
    question = (
        await client.post(
            f"/api/events/{slug}/questions", json={"code": "diet", "label": "Diet", "kind": "text"}, headers=organizer
        )
    ).json()
    await client.patch(f"/api/events/{slug}/questions/{question['id']}", json={"required": True}, headers=organizer)
    await client.put(f"/api/events/{slug}/registration-settings", json={"hold_minutes": 20}, headers=organizer)
    await client.put(
        f"/api/events/{slug}/cancellation-fees",
        json={"rules": [{"until": "2027-03-01", "fee_pct": 10}]},
        headers=organizer,
    )

    entries = await _trail(client, organizer, slug)

    catalog = [e for e in entries if e["entity"] != "event"]
    assert _kinds(catalog) == [
        ("category", "created"),
        ("category", "created"),
        ("category", "updated"),
        ("category", "updated"),
        ("add_on", "created"),
        ("add_on", "updated"),
        ("quota", "created"),
        ("quota", "updated"),
        ("promo_code", "created"),
        ("promo_code", "updated"),
        ("promo_code", "deleted"),
        ("question", "created"),
        ("question", "updated"),
        ("registration_settings", "updated"),
        ("cancellation_fee_rule", "updated"),
    ]
    price_change = catalog[2]["changes"]
    assert price_change == {
        "price_windows": [[["early", "2026-11-01", 40000]], [["early", "2026-11-01", 45000]]],
        "capacity": [50, 60],
    }
    assert catalog[3]["changes"] == {"access_code": [audit.REDACTED, audit.REDACTED]}
    assert catalog[5]["changes"] == {"amount": [9000, 9500]}
    assert catalog[7]["changes"] == {"size": [500, 400]}
    assert catalog[9]["changes"] == {"max_uses": [None, 15]}
    assert catalog[10]["changes"]["code"] == ["EARLY10", None]
    assert catalog[12]["changes"] == {"required": [False, True]}
    assert catalog[13]["changes"] == {"hold_minutes": [15, 20]}
    assert catalog[14]["changes"] == {"rules": [[], [["2027-03-01", 10]]]}
    assert {e["actor_role"] for e in catalog} == {"organizer"}
    assert len({e["actor_user_id"] for e in catalog}) == 1 and catalog[0]["actor_user_id"] is not None
    assert "PRESS-SECRET" not in json.dumps(entries)


async def test_event_room_and_track_changes_are_recorded(client: Client, organizer: dict[str, str]) -> None:
    slug = await _event(client, organizer)
    await client.patch(f"/api/events/{slug}", json={"venue": "Moscone"}, headers=organizer)
    room = (
        await client.post(f"/api/events/{slug}/rooms", json={"name": "Hall A", "capacity": 200}, headers=organizer)
    ).json()
    await client.patch(f"/api/events/{slug}/rooms/{room['id']}", json={"capacity": 300}, headers=organizer)
    await client.delete(f"/api/events/{slug}/rooms/{room['id']}", headers=organizer)
    track = (
        await client.post(f"/api/events/{slug}/tracks", json={"name": "Policy", "colour": "#123456"}, headers=organizer)
    ).json()
    await client.patch(f"/api/events/{slug}/tracks/{track['id']}", json={"colour": "#654321"}, headers=organizer)

    entries = await _trail(client, organizer, slug)

    assert _kinds(entries) == [
        ("event", "created"),
        ("event", "published"),
        ("event", "updated"),
        ("room", "created"),
        ("room", "updated"),
        ("room", "deleted"),
        ("track", "created"),
        ("track", "updated"),
    ]
    assert entries[1]["changes"] == {"status": ["draft", "published"]}
    assert entries[2]["changes"] == {"venue": ["Hynes", "Moscone"]}
    assert entries[4]["changes"] == {"capacity": [200, 300]}
    assert entries[7]["changes"] == {"colour": ["#123456", "#654321"]}


async def test_account_changes_are_global_and_never_hold_the_password(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    email = f"acct-{uuid.uuid4().hex[:8]}@podium.test"
    password, new_password = "first-password-123", "second-password-456"
    created = await client.post(
        "/api/users",
        json={"email": email, "display_name": "Acct", "password": password, "role": "staff"},
        headers=organizer,
    )
    user_id = created.json()["id"]
    await client.patch(f"/api/users/{user_id}", json={"role": "organizer"}, headers=organizer)
    token = (await client.post("/api/auth/login", json={"email": email, "password": password})).json()["token"]
    changed = await client.post(
        "/api/auth/password",
        json={"current_password": password, "new_password": new_password},
        headers={"Authorization": f"Bearer {token}"},
    )
    await client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=organizer)

    response = await client.get("/api/audit", params={"entity_id": user_id}, headers=organizer)

    assert changed.status_code == 204, changed.text
    entries = list(reversed(response.json()["entries"]))
    assert [e["action"] for e in entries] == ["created", "role_changed", "password_changed", "deactivated"]
    assert entries[0]["changes"] == {
        "email": [None, email],
        "display_name": [None, "Acct"],
        "role": [None, "staff"],
        "is_active": [None, True],
    }
    assert entries[1]["changes"] == {"role": ["staff", "organizer"]}
    assert entries[2]["changes"] == {"password": [audit.REDACTED, audit.REDACTED]}
    assert (entries[2]["actor"], entries[2]["actor_user_id"]) == (f"organizer:{email}", user_id)
    assert {e["event_id"] for e in entries} == {None}
    async with db_session_for(settings) as db_session:
        hash_now = (await db_session.scalars(select(User.password_hash).where(User.id == uuid.UUID(user_id)))).one()
    assert hash_now is not None
    stored = json.dumps([e.changes for e in await _entries(settings, entity_id=uuid.UUID(user_id))])
    assert [s for s in (password, new_password, hash_now) if s in stored or s in response.text] == []


async def test_program_session_and_speaker_changes_are_recorded(client: Client, organizer: dict[str, str]) -> None:
    slug = await _event(client, organizer)
    speaker = (await client.post(f"/api/events/{slug}/speakers", json={"name": "Ada"}, headers=organizer)).json()
    await client.patch(
        f"/api/events/{slug}/speakers/{speaker['id']}", json={"affiliation": "Analytical"}, headers=organizer
    )
    body = {
        "title": "Opening",
        "kind": "plenary",
        "starts_at": "2027-04-14T09:00:00-04:00",
        "ends_at": "2027-04-14T10:00:00-04:00",
        "speaker_ids": [speaker["id"]],
        "status": "draft",
    }
    session = (await client.post(f"/api/events/{slug}/sessions", json=body, headers=organizer)).json()
    await client.patch(f"/api/sessions/{session['id']}", json={"title": "Grand opening"}, headers=organizer)
    await client.post(f"/api/sessions/{session['id']}/publish", json={}, headers=organizer)
    await client.post(f"/api/sessions/{session['id']}/cancel", headers=organizer)

    entries = [e for e in await _trail(client, organizer, slug) if e["entity"] != "event"]

    assert _kinds(entries) == [
        ("speaker", "created"),
        ("speaker", "updated"),
        ("program_session", "created"),
        ("program_session", "updated"),
        ("program_session", "published"),
        ("program_session", "cancelled"),
    ]
    assert entries[1]["changes"] == {"affiliation": ["", "Analytical"]}
    assert entries[2]["changes"]["title"] == [None, "Opening"]
    assert entries[2]["changes"]["people"] == [None, [[speaker["id"], "speaker"]]]
    assert entries[3]["changes"] == {"title": ["Opening", "Grand opening"]}
    assert entries[5]["changes"] == {"status": ["published", "cancelled"]}


async def test_badge_issue_reprint_and_transfer_revocation_are_recorded(
    client: Client, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    secret = {"X-Order-Secret": order["secret"]}
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers=secret)
    registration_id = order["registrations"][0]["id"]
    issued = await client.get(f"/api/registrations/{registration_id}/badge", headers=staff)
    reprinted = await client.post(f"/api/registrations/{registration_id}/badge/reprint", headers=staff)
    transfer = {"email": "otto@example.org", "first_name": "Otto", "last_name": "Hahn", "country": "DE"}
    transfer["member_number"] = "M-1"
    moved = await client.post(
        f"/api/orders/{order['id']}/registrations/{registration_id}/transfer", json=transfer, headers=secret
    )

    entries = await _trail(client, organizer, catalog.slug)

    assert (issued.status_code, reprinted.status_code, moved.status_code) == (200, 200, 200), moved.text
    badge = [e for e in entries if e["entity"] in ("badge", "badge_key")]
    assert _kinds(badge) == [
        ("badge_key", "created"),
        ("badge", "issued"),
        ("badge", "reprinted"),
        ("badge", "revoked"),
    ]
    assert badge[2]["changes"] == {"version": [1, 2]}
    assert badge[2]["actor_role"] == "staff"
    assert badge[3]["changes"] == {"version": [2, 3]}
    assert "private" not in json.dumps(badge[0]["changes"])
    transferred = next(e for e in entries if e["action"] == "transferred")
    assert transferred["entity_id"] == registration_id
    assert transferred["changes"]["holder"][1] == "Otto Hahn <otto@example.org>"


# --------------------------------------------------------------------------------- the read APIs


async def test_audit_routes_are_for_organizers_only(
    client: Client, settings: Settings, staff: dict[str, str], organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    secret = {"X-Order-Secret": order["secret"]}
    paths = [
        f"/api/events/{catalog.slug}/audit",
        f"/api/events/{catalog.slug}/audit.csv",
        f"/api/orders/{order['id']}/audit",
        f"/api/registrations/{order['registrations'][0]['id']}/audit",
        "/api/audit",
    ]

    anonymous = [(await client.get(p)).status_code for p in paths]
    buyer = [(await client.get(p, headers=secret)).status_code for p in paths]
    as_staff = [(await client.get(p, headers=staff)).status_code for p in paths]
    as_organizer = [(await client.get(p, headers=organizer)).status_code for p in paths]

    assert (anonymous, buyer, as_staff, as_organizer) == ([401] * 5, [401] * 5, [403] * 5, [200] * 5)


async def test_order_and_registration_audit_show_their_own_entries(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(), attendee()))).json()
    other = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    first = order["registrations"][0]["id"]

    by_order = (await client.get(f"/api/orders/{order['id']}/audit", headers=organizer)).json()["entries"]
    by_registration = (await client.get(f"/api/registrations/{first}/audit", headers=organizer)).json()["entries"]
    unknown_order = await client.get(f"/api/orders/{uuid.uuid4()}/audit", headers=organizer)
    unknown_registration = await client.get(f"/api/registrations/{uuid.uuid4()}/audit", headers=organizer)

    ids = {order["id"], *(r["id"] for r in order["registrations"])}
    assert {e["entity_id"] for e in by_order} == ids
    assert other["id"] not in {e["entity_id"] for e in by_order}
    assert sorted(e["action"] for e in by_order if e["entity"] == "order") == ["created", "paid"]
    assert [(e["action"], e["changes"]) for e in by_registration] == [
        ("confirmed", {"status": ["held", "confirmed"]}),
        ("created", {"status": [None, "held"]}),
    ]
    assert (unknown_order.status_code, unknown_order.json()["field"]) == (404, "order_id")
    assert (unknown_registration.status_code, unknown_registration.json()["field"]) == (404, "registration_id")


async def test_event_audit_filters_and_pages_with_a_cursor(client: Client, organizer: dict[str, str]) -> None:
    slug = await _event(client, organizer)
    ids = []
    for number in range(5):
        body = {"code": f"q{number}", "label": f"Question {number}", "kind": "text"}
        ids.append((await client.post(f"/api/events/{slug}/questions", json=body, headers=organizer)).json()["id"])
    await client.patch(f"/api/events/{slug}/questions/{ids[0]}", json={"label": "First"}, headers=organizer)
    everything = await _trail(client, organizer, slug)
    middle = everything[3]["created_at"]

    def get(**params: str) -> Any:
        return client.get(f"/api/events/{slug}/audit", params=params, headers=organizer)

    questions = (await get(entity="question")).json()["entries"]
    updated = (await get(action="updated")).json()["entries"]
    one = (await get(entity_id=ids[2])).json()["entries"]
    by_actor = (await get(actor="organizer-")).json()["entries"]
    by_role = (await get(role="system")).json()["entries"]
    since = (await get(since=middle)).json()["entries"]
    until = (await get(until=middle)).json()["entries"]
    first_page = (await get(limit="3")).json()
    second_page = (await get(limit="3", cursor=first_page["next_cursor"])).json()
    last_page = (await get(limit="3", cursor=second_page["next_cursor"])).json()

    assert [e["entity_id"] for e in questions] == [ids[0], *reversed(ids)]
    assert [(e["entity_id"], e["changes"]) for e in updated] == [(ids[0], {"label": ["Question 0", "First"]})]
    assert [e["action"] for e in one] == ["created"]
    assert len(by_actor) == len(everything) and by_role == []
    assert len(since) + len(until) == len(everything) and since[-1]["created_at"] == middle
    pages = [e["id"] for e in first_page["entries"] + second_page["entries"] + last_page["entries"]]
    assert pages == [e["id"] for e in reversed(everything)]
    assert last_page["next_cursor"] is None


async def test_bad_audit_filters_are_refused_naming_the_field(client: Client, organizer: dict[str, str]) -> None:
    slug = await _event(client, organizer)
    bad = {
        "entity": "Order; drop",
        "entity_id": "not-a-uuid",
        "action": "UPDATED!",
        "role": "king",
        "since": "yesterday",
        "until": "2027-13-01",
        "limit": "0",
        "cursor": "x",
    }

    answers = {}
    for field, value in bad.items():
        response = await client.get(f"/api/events/{slug}/audit", params={field: value}, headers=organizer)
        answers[field] = (response.status_code, response.json().get("field"))
    unknown_cursor = await client.get(
        f"/api/events/{slug}/audit", params={"cursor": str(uuid.uuid4())}, headers=organizer
    )
    unknown_event = await client.get("/api/events/no-such-event/audit", headers=organizer)

    assert answers == {field: (400, field) for field in bad}
    assert (unknown_cursor.status_code, unknown_cursor.json()["field"]) == (404, "cursor")
    assert (unknown_event.status_code, unknown_event.json()["field"]) == (404, "event")


async def test_event_audit_csv_is_formula_safe_in_the_event_time_zone(
    client: Client, organizer: dict[str, str]
) -> None:
    slug = await _event(client, organizer)
    await client.post(
        f"/api/events/{slug}/questions", json={"code": "calc", "label": "=1+2", "kind": "text"}, headers=organizer
    )

    response = await client.get(f"/api/events/{slug}/audit.csv", params={"entity": "question"}, headers=organizer)

    rows = list(csv.reader(io.StringIO(response.text)))
    assert response.headers["content-type"].startswith("text/csv")
    assert rows[0] == ["time", "entity", "entity_id", "action", "changes", "actor", "actor_role", "note"]
    assert [(r[1], r[3], r[6]) for r in rows[1:]] == [("question", "created", "organizer")]
    assert rows[1][0].endswith(("-04:00", "-05:00"))
    assert json.loads(rows[1][4])["label"] == [None, "=1+2"]
    assert rows[1][4].startswith("{")  # the JSON cell starts with a brace, not a formula character


async def test_a_csv_import_records_new_speakers_and_each_session_s_changed_fields(
    client: Client, organizer: dict[str, str]
) -> None:
    slug = await _event(client, organizer)
    body = {
        "title": "Opening",
        "kind": "plenary",
        "starts_at": "2027-04-14T09:00:00-04:00",
        "ends_at": "2027-04-14T10:00:00-04:00",
        "status": "draft",
    }
    session = (await client.post(f"/api/events/{slug}/sessions", json=body, headers=organizer)).json()
    exported = (await client.get(f"/api/events/{slug}/sessions.csv", headers=organizer)).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    rows[0]["title"], rows[0]["speakers"] = "Keynote", "Grace Hopper"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    imported = await client.post(
        f"/api/events/{slug}/sessions.csv",
        content=edited.getvalue().encode(),
        headers={**organizer, "Content-Type": "text/csv"},
    )
    entries = [e for e in await _trail(client, organizer, slug) if e["entity"] in ("speaker", "program_session")]

    assert imported.status_code == 200, imported.text
    assert _kinds(entries) == [("program_session", "created"), ("speaker", "created"), ("program_session", "updated")]
    speaker_id = entries[1]["entity_id"]
    assert entries[1]["changes"] == {"name": [None, "Grace Hopper"]}
    assert entries[2]["entity_id"] == session["id"]
    assert entries[2]["changes"] == {"title": ["Opening", "Keynote"], "people": [[], [[speaker_id, "speaker"]]]}


async def test_order_events_that_keep_its_status_are_named(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    secret = {"X-Order-Secret": order["secret"]}
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers=secret)
    refunded = await client.post(
        f"/api/orders/{order['id']}/refunds", json={"amount": 500, "reason": "parking voucher"}, headers=organizer
    )
    relinked = await client.post(f"/api/orders/{order['id']}/link", headers=organizer)

    entries = (
        await client.get(f"/api/orders/{order['id']}/audit", params={"entity": "order"}, headers=organizer)
    ).json()

    assert (refunded.status_code, relinked.status_code) == (201, 200)
    assert [(e["action"], e["changes"]) for e in entries["entries"][:2]] == [
        ("link_regenerated", {}),
        ("refunded", {"amount_refunded": [0, 500], "refund_status": [None, "succeeded"]}),
    ]
    assert entries["entries"][1]["note"] == "refund 500: parking voucher"
    assert entries["entries"][1]["actor_role"] == "organizer"


async def test_racing_first_badge_views_record_one_key_and_one_badge(
    client: Client, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    registration_id = order["registrations"][0]["id"]

    views = await asyncio.gather(
        *(client.get(f"/api/registrations/{registration_id}/badge", headers=staff) for _ in range(10))
    )
    entries = await _trail(client, organizer, catalog.slug)

    assert {v.status_code for v in views} == {200}
    assert len({v.json()["serial"] for v in views}) == 1
    assert _kinds([e for e in entries if e["entity"] in ("badge", "badge_key")]) == [
        ("badge_key", "created"),
        ("badge", "issued"),
    ]


async def test_the_request_s_user_is_the_actor_only_while_it_runs(client: Client, organizer: dict[str, str]) -> None:
    slug = await _event(client, organizer)

    after = audit.current_actor()
    [created, *_] = await _trail(client, organizer, slug)

    assert after == audit.SYSTEM  # the in-process client ran the requests in this very task
    assert (created["actor_role"], created["actor"].startswith("organizer:")) == ("organizer", True)
