"""The check-in API answers every kind of scan with the right reason, and records each scan once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from badges import tokens
from badges.keys import event_key
from badges.models import Badge, Checkin
from badges.services import ensure_badges, token_for
from podium.settings import Settings
from registration.links.tokens import order_secret
from registration.models import Order, Registration
from tests.badges.conftest import Client, badge_token, checkpoints_of, new_device, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration, build_badge_event
from tests.registration.factories import db_session_for


async def test_first_scan_admits_and_the_second_says_when_and_where(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)

    first = await post_scans(client, staff, scan(token, points["entrance"], device="door-1"))
    second = await post_scans(client, staff, scan(token, points["entrance"], device="door-2"))

    assert (first[0]["reason"], first[0]["level"]) == ("admitted", "ok")
    assert first[0]["attendee"]["name"] == "Ada Lovelace"
    assert first[0]["attendee"]["category"] == "Member"
    assert (second[0]["reason"], second[0]["level"]) == ("already_admitted", "warn")
    assert second[0]["first_admission"]["checkpoint_name"] == "Entrance"
    assert second[0]["first_admission"]["device_id"] == "door-1"
    assert second[0]["message"].startswith("Already admitted at ")


async def test_answers_are_worded_in_the_staff_members_language(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)
    spanish = {**staff, "Accept-Language": "es"}

    first = await post_scans(client, spanish, scan(token, points["entrance"], device="door-1"))
    second = await post_scans(client, spanish, scan(token, points["entrance"], device="door-2"))
    unknown = await post_scans(client, {**staff, "Accept-Language": "fr"}, scan("hello", points["entrance"]))

    assert first[0]["message"] == "Admitido/a: Ada Lovelace."
    # The checkpoint's clock, its day named in Spanish (Babel's abbreviated weekday, e.g. "mié").
    assert second[0]["message"].startswith("Ya admitido/a el ") and second[0]["message"].endswith("(Entrance).")
    assert second[0]["reason"] == "already_admitted"
    assert (unknown[0]["reason"], unknown[0]["message"]) == (
        "invalid",
        "Ce n\u2019est pas un code de badge : illisible ou altéré.",
    )


def _altered(token: str, index: int) -> str:
    raw = bytearray(tokens.base45_decode(token))
    raw[index] ^= 0x5A
    return tokens.base45_encode(bytes(raw))


async def test_every_byte_of_a_token_changed_is_invalid(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)
    altered = [_altered(token, index) for index in range(tokens.TOKEN_BYTES)]
    mangled = [token[:-1], token + "A", token.lower(), "", "hello", token[1:] + token[0]]

    results = await post_scans(client, staff, *(scan(t, points["entrance"]) for t in altered + mangled))
    genuine = await post_scans(client, staff, scan(token, points["entrance"]))

    assert len(results) == tokens.TOKEN_BYTES + len(mangled)
    assert {r["reason"] for r in results} == {"invalid"}
    assert {r["level"] for r in results} == {"stop"}
    assert all(r["attendee"] is None for r in results)
    assert genuine[0]["reason"] == "admitted"


async def test_another_events_badge_is_wrong_event(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    other = await build_badge_event(settings, name="Policy Summit")
    points = await checkpoints_of(client, organizer, badge_event.slug)
    theirs = await badge_token(client, staff, await add_registration(settings, other))

    results = await post_scans(client, staff, scan(theirs, points["entrance"]))

    assert results[0]["reason"] == "wrong_event"
    assert "Policy Summit" in results[0]["message"]


async def test_a_reprinted_badges_old_token_is_revoked_and_the_new_one_admits(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    old = await badge_token(client, staff, registration)

    reprinted = await client.post(f"/api/registrations/{registration}/badge/reprint", headers=staff)
    results = await post_scans(
        client, staff, scan(old, points["entrance"]), scan(reprinted.json()["token"], points["entrance"])
    )

    assert reprinted.status_code == 200
    assert reprinted.json()["version"] == 2
    assert reprinted.json()["serial"] == tokens.parse(old)[0].serial_text
    assert [r["reason"] for r in results] == ["revoked", "admitted"]
    assert results[0]["attendee"]["name"] == "Ada Lovelace"


async def test_cancelled_expired_unpaid_and_unverified_registrations_are_refused(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    people = {
        "cancelled": await add_registration(settings, badge_event, status="cancelled", order_status="cancelled"),
        "expired": await add_registration(settings, badge_event, status="expired", order_status="expired"),
        "held": await add_registration(settings, badge_event, status="held", order_status="pending"),
        "unverified": await add_registration(settings, badge_event, status="awaiting_verification"),
    }
    # Badges were printed while the registrations were good (tokens exist); then their state changed.
    tokens_by_state = {}
    for state, registration in people.items():
        async with db_session_for(settings) as db_session:
            await event_key(db_session, badge_event.event_id, settings.secret_key)
            badge = (await ensure_badges(db_session, [registration]))[registration]
            tokens_by_state[state] = await token_for(db_session, badge, settings.secret_key)
            await db_session.commit()  # the test owns the transaction: the badge and key it made are kept

    results = await post_scans(client, staff, *(scan(t, points["entrance"]) for t in tokens_by_state.values()))

    assert [r["reason"] for r in results] == ["cancelled", "cancelled", "not_paid", "not_paid"]
    assert "verification" in results[3]["message"]


async def test_workshop_desk_admits_only_those_who_bought_the_workshop(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    with_workshop = await badge_token(client, staff, await add_registration(settings, badge_event, workshop=True))
    without = await badge_token(client, staff, await add_registration(settings, badge_event, first_name="Grace"))

    results = await post_scans(
        client,
        staff,
        scan(with_workshop, points["add-on-grant-writing"]),
        scan(without, points["add-on-grant-writing"]),
    )

    assert [r["reason"] for r in results] == ["admitted", "no_access"]
    assert results[1]["message"] == "Grace Lovelace has no ticket for Grant Writing Workshop."


async def test_room_door_follows_the_program_and_its_doors_open_time(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    door = points["room-room-201"]
    now = badge_event.now
    ada = await badge_token(client, staff, await add_registration(settings, badge_event, workshop=True))
    grace = await badge_token(client, staff, await add_registration(settings, badge_event, first_name="Grace"))

    results = await post_scans(
        client,
        staff,
        scan(ada, door, at=now),  # the opening is on
        scan(ada, door, at=now + dt.timedelta(minutes=70)),  # between sessions, doors not yet open
        scan(ada, door, at=now + dt.timedelta(minutes=95)),  # doors open 30 min before the hands-on
        scan(grace, door, at=now + dt.timedelta(minutes=95)),  # but Grace has no workshop ticket
        scan(grace, door, at=now + dt.timedelta(hours=3, minutes=50)),  # the next one is cancelled
    )

    assert [r["reason"] for r in results] == ["admitted", "outside_window", "admitted", "no_access", "outside_window"]
    assert results[0]["session_title"] == "Opening"
    assert results[2]["session_title"] == "Hands-on"
    assert "doors open" in results[1]["message"]
    assert results[4]["message"] == "No more sessions in Room 201."


async def test_doors_open_time_is_the_organizers_setting(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    ada = await badge_token(client, staff, await add_registration(settings, badge_event, workshop=True))
    early = badge_event.now + dt.timedelta(minutes=95)

    saved = await client.put(
        f"/api/events/{badge_event.slug}/checkin-settings",
        json={"doors_open_minutes": 10, "credit_threshold_pct": 80},
        headers=organizer,
    )
    results = await post_scans(client, staff, scan(ada, points["room-room-201"], at=early))

    assert saved.json() == {"doors_open_minutes": 10, "credit_threshold_pct": 80}
    assert results[0]["reason"] == "outside_window"


async def test_entrance_window_and_re_entry_after_checking_out(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    now = badge_event.now
    created = await client.post(
        f"/api/events/{badge_event.slug}/checkpoints",
        json={
            "code": "north-door",
            "name": "North door",
            "kind": "entrance",
            "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(hours=8)).isoformat(),
        },
        headers=organizer,
    )
    door = created.json()["id"]
    ada = await badge_token(client, staff, await add_registration(settings, badge_event))

    results = await post_scans(
        client,
        staff,
        scan(ada, door, at=now - dt.timedelta(hours=2)),
        scan(ada, door, at=now),
        scan(ada, door, at=now + dt.timedelta(minutes=5)),
        scan(ada, door, at=now + dt.timedelta(minutes=10), direction="out"),
        scan(ada, door, at=now + dt.timedelta(minutes=20)),
        scan(ada, door, at=now + dt.timedelta(hours=9)),
    )

    assert created.status_code == 201
    assert [r["reason"] for r in results] == [
        "outside_window",
        "admitted",
        "already_admitted",
        "checked_out",
        "admitted",
        "outside_window",
    ]


async def test_typed_serial_checks_in_like_the_qr(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    await add_registration(settings, badge_event, first_name="Katherine", last_name="Johnson")
    found = await client.get(f"/api/events/{badge_event.slug}/attendees", params={"q": "kath john"}, headers=staff)
    serial = found.json()[0]["serial"]
    typed = (serial[:4] + "-" + serial[4:]).lower()

    results = await post_scans(
        client, staff, scan(None, points["entrance"], serial=typed), scan(None, points["entrance"], serial="ZZZZZZZZ")
    )

    assert [(m["name"], m["status"]) for m in found.json()] == [("Katherine Johnson", "ok")]
    assert [r["reason"] for r in results] == ["admitted", "invalid"]


async def test_the_same_batch_uploaded_twice_is_recorded_once(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    device = new_device()
    people = [await badge_token(client, staff, await add_registration(settings, badge_event)) for _ in range(3)]
    batch = [scan(token, points["entrance"], device=device, seq=i) for i, token in enumerate(people + people[:1])]

    first = await post_scans(client, staff, *batch)
    again = await post_scans(client, staff, *batch)

    async with db_session_for(settings) as db_session:
        recorded = await db_session.scalar(select(func.count()).where(Checkin.device_id == device))
    assert [r["reason"] for r in first] == ["admitted", "admitted", "admitted", "already_admitted"]
    assert [r["reason"] for r in again] == [r["reason"] for r in first]
    assert [r["message"] for r in again] == [r["message"] for r in first]
    assert [r["replayed"] for r in first + again] == [False] * 4 + [True] * 4
    assert again[3]["first_admission"] == first[3]["first_admission"]
    assert recorded == 4


async def test_malformed_scans_refuse_the_batch_naming_the_field(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    good = scan("X", points["entrance"])
    unknown_point = scan("X", "00000000-0000-4000-8000-000000000000")
    both = scan("X", points["entrance"], serial="ABCD1234")
    naive = {**scan("X", points["entrance"]), "device_time": "2027-01-01T10:00:00"}

    responses = [
        await client.post("/api/checkins", json={"scans": body}, headers=staff)
        for body in ([good, unknown_point], [both], [naive], [], [{**good, "extra": 1}])
    ]

    assert [r.status_code for r in responses] == [422, 422, 422, 422, 422]
    assert responses[0].json()["field"] == "scans[1].checkpoint_id"
    assert responses[1].json()["field"] == "scans[0].token"


async def test_check_in_is_for_staff_and_organizers_only(
    client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    body = {"scans": [scan("X", "00000000-0000-4000-8000-000000000000")]}

    anonymous = await client.post("/api/checkins", json=body)
    bundle = await client.get(f"/api/events/{badge_event.slug}/scanner-bundle")
    staff_sync = await client.post(f"/api/events/{badge_event.slug}/checkpoints/sync", headers=staff)

    assert [anonymous.status_code, bundle.status_code, staff_sync.status_code] == [401, 401, 403]


async def test_a_transferred_registrations_old_badge_is_revoked(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    old = await badge_token(client, staff, registration)
    async with db_session_for(settings) as db_session:
        row = await db_session.get_one(Registration, registration)
        order = await db_session.get_one(Order, row.order_id)
        secret = order_secret(settings.secret_key, order.id, order.secret_version)

    transferred = await client.post(
        f"/api/orders/{order.id}/registrations/{registration}/transfer",
        json={"email": "mary@example.org", "first_name": "Mary", "last_name": "Somerville", "country": "GB"},
        headers={"X-Order-Secret": secret},
    )
    new = await badge_token(client, staff, registration)
    results = await post_scans(client, staff, scan(old, points["entrance"]), scan(new, points["entrance"]))

    async with db_session_for(settings) as db_session:
        version = await db_session.scalar(select(Badge.version).where(Badge.registration_id == registration))
    assert transferred.status_code == 200, transferred.text
    assert version == 2
    assert [r["reason"] for r in results] == ["revoked", "admitted"]
    assert results[1]["attendee"]["name"] == "Mary Somerville"


async def test_a_session_door_keeps_its_sessions_times_add_on_and_status(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    url = f"/api/events/{badge_event.slug}/checkpoints"
    hands_on = await client.post(
        url,
        json={
            "code": "hands-on",
            "name": "Hands-on door",
            "kind": "session",
            "session_id": str(badge_event.sessions["hands_on"]),
        },
        headers=organizer,
    )
    cancelled = await client.post(
        url,
        json={"code": "gone", "name": "Gone", "kind": "session", "session_id": str(badge_event.sessions["cancelled"])},
        headers=organizer,
    )
    ada = await badge_token(client, staff, await add_registration(settings, badge_event, workshop=True))
    grace = await badge_token(client, staff, await add_registration(settings, badge_event, first_name="Grace"))
    now, door = badge_event.now, hands_on.json()["id"]

    results = await post_scans(
        client,
        staff,
        scan(ada, door, at=now + dt.timedelta(minutes=80)),  # doors open at +90
        scan(ada, door, at=now + dt.timedelta(minutes=90)),
        scan(grace, door, at=now + dt.timedelta(minutes=90)),
        scan(ada, door, at=now + dt.timedelta(minutes=180)),  # it has ended (still inside: no new entry)
        scan(ada, cancelled.json()["id"], at=now + dt.timedelta(hours=4)),
    )

    assert [hands_on.status_code, cancelled.status_code] == [201, 201]
    assert [r["reason"] for r in results] == [
        "outside_window",
        "admitted",
        "no_access",
        "outside_window",
        "outside_window",
    ]
    assert results[4]["message"] == "“Cancelled talk” is cancelled."


async def test_checkpoint_creation_names_the_wrong_field(
    client: Client, organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    url = f"/api/events/{badge_event.slug}/checkpoints"
    bodies = [
        ({"code": "r", "name": "Room", "kind": "room"}, "room_id"),
        ({"code": "s", "name": "Session", "kind": "session", "session_id": str(badge_event.room_id)}, "session_id"),
        ({"code": "w", "name": "Workshop", "kind": "add_on"}, "add_on"),
        ({"code": "x", "name": "Desk", "kind": "add_on", "add_on": "nothing"}, "add_on"),
        (
            {
                "code": "t",
                "name": "Door",
                "kind": "entrance",
                "opens_at": "2027-01-02T10:00:00Z",
                "closes_at": "2027-01-02T09:00:00Z",
            },
            "closes_at",
        ),
    ]

    responses = [await client.post(url, json=body, headers=organizer) for body, _ in bodies]
    created = await client.post(url, json={"code": "side", "name": "Side", "kind": "entrance"}, headers=organizer)
    duplicate = await client.post(url, json={"code": "side", "name": "Side", "kind": "entrance"}, headers=organizer)

    assert [(r.status_code, r.json()["field"]) for r in responses] == [(422, field) for _, field in bodies]
    assert created.status_code == 201
    assert (duplicate.status_code, duplicate.json()["field"]) == (409, "code")


@pytest.mark.parametrize("later", [dt.timedelta(minutes=3), dt.timedelta(0)], ids=["later", "same-moment"])
async def test_a_reused_sequence_number_for_another_scan_is_refused_not_replayed(
    settings: Settings,
    client: Client,
    staff: dict[str, str],
    organizer: dict[str, str],
    badge_event: BadgeEvent,
    later: dt.timedelta,
) -> None:
    """Another badge under a number the device used already: a new scan, whether sent later or for the same
    moment at the same checkpoint; only the first badge's own re-upload is replayed."""
    points = await checkpoints_of(client, organizer, badge_event.slug)
    ada = await badge_token(client, staff, await add_registration(settings, badge_event))
    grace = await badge_token(client, staff, await add_registration(settings, badge_event, first_name="Grace"))
    device, now = new_device(), badge_event.now
    [first] = await post_scans(client, staff, scan(ada, points["entrance"], device=device, seq=0, at=now))

    reused = await client.post(
        "/api/checkins",
        json={"scans": [scan(grace, points["entrance"], device=device, seq=0, at=now + later)]},
        headers=staff,
    )
    [again] = await post_scans(client, staff, scan(ada, points["entrance"], device=device, seq=0, at=now))
    fresh = await post_scans(client, staff, scan(grace, points["entrance"], device=device, seq=1, at=now))

    assert (reused.status_code, reused.json()["code"], reused.json()["field"]) == (
        409,
        "sequence_reused",
        "scans[0].device_seq",
    )
    assert (first["reason"], first["replayed"]) == ("admitted", False)
    assert (again["reason"], again["replayed"]) == ("admitted", True)
    assert again["attendee"]["name"] == first["attendee"]["name"]
    assert fresh[0]["reason"] == "admitted"


async def test_a_deactivated_checkpoint_refuses_in_scans_until_reopened(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    slug, now = badge_event.slug, badge_event.now
    door = (
        await client.post(
            f"/api/events/{slug}/checkpoints",
            json={"code": "side-door", "name": "Side door", "kind": "entrance"},
            headers=organizer,
        )
    ).json()["id"]
    back_door = (
        await client.post(
            f"/api/events/{slug}/checkpoints",
            json={"code": "back-door", "name": "Back door", "kind": "entrance", "is_active": False},
            headers=organizer,
        )
    ).json()["id"]
    ada = await badge_token(client, staff, await add_registration(settings, badge_event))
    grace = await badge_token(client, staff, await add_registration(settings, badge_event))
    await post_scans(client, staff, scan(ada, door, at=now - dt.timedelta(minutes=5)))
    made_closed = await post_scans(client, staff, scan(grace, back_door, at=now - dt.timedelta(minutes=5)))

    closed = await client.patch(f"/api/events/{slug}/checkpoints/{door}", json={"is_active": False}, headers=organizer)
    refused = await post_scans(client, staff, scan(grace, door, at=now), scan(ada, door, at=now, direction="out"))
    reopened = await client.patch(f"/api/events/{slug}/checkpoints/{door}", json={"is_active": True}, headers=organizer)
    admitted = await post_scans(client, staff, scan(grace, door, at=now + dt.timedelta(minutes=1)))

    assert made_closed[0]["reason"] == "outside_window"
    assert (closed.status_code, closed.json()["is_active"]) == (200, False)
    assert [(r["reason"], r["level"]) for r in refused] == [("outside_window", "stop"), ("checked_out", "ok")]
    assert refused[0]["message"] == "Side door is closed: the organizers deactivated this checkpoint."
    assert reopened.json()["is_active"] is True
    assert admitted[0]["reason"] == "admitted"


async def test_checkpoint_changes_name_the_wrong_field(
    client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    slug, now = badge_event.slug, badge_event.now
    door = (await checkpoints_of(client, organizer, slug))["entrance"]
    url = f"/api/events/{slug}/checkpoints/{door}"

    backwards = await client.patch(
        url,
        json={"opens_at": now.isoformat(), "closes_at": (now - dt.timedelta(hours=1)).isoformat()},
        headers=organizer,
    )
    blank = await client.patch(url, json={"name": "   "}, headers=organizer)
    naive = await client.patch(url, json={"opens_at": "2027-04-14T08:00:00"}, headers=organizer)
    unknown = await client.patch(
        f"/api/events/{slug}/checkpoints/00000000-0000-4000-8000-000000000000", json={}, headers=organizer
    )
    as_staff = await client.patch(url, json={"is_active": False}, headers=staff)
    renamed = await client.patch(url, json={"name": "Main entrance"}, headers=organizer)

    assert (backwards.status_code, backwards.json()["field"]) == (422, "closes_at")
    assert (blank.status_code, blank.json()["field"]) == (422, "name")
    assert (naive.status_code, naive.json()["field"]) == (422, "opens_at")
    assert (unknown.status_code, unknown.json()["field"]) == (404, "checkpoint_id")
    assert as_staff.status_code == 403
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["is_active"]) == (200, "Main entrance", True)
