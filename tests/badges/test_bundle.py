"""The scanner bundle: what an offline scanner needs, versioned so polling costs a 304."""

from __future__ import annotations

from podium.settings import Settings
from tests.badges.conftest import Client, badge_token, checkpoints_of
from tests.badges.factories import BadgeEvent, add_registration


async def test_bundle_carries_key_rules_badges_and_revocations(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    await checkpoints_of(client, organizer, badge_event.slug)
    ada = await add_registration(settings, badge_event, workshop=True)
    await add_registration(settings, badge_event, first_name="Grace", status="cancelled", order_status="cancelled")
    await add_registration(settings, badge_event, first_name="Alan", status="held", order_status="pending")
    await client.post(f"/api/registrations/{ada}/badge/reprint", headers=staff)

    response = await client.get(f"/api/events/{badge_event.slug}/scanner-bundle", headers=staff)
    bundle = response.json()

    assert response.headers["etag"] == f'"{bundle["version"]}"'
    assert bundle["event"]["slug"] == badge_event.slug
    assert bundle["key"]["alg"] == "Ed25519"
    assert len(bundle["key"]["kid"]) == 8
    assert bundle["doors_open_minutes"] == 30
    kinds = {c["code"]: c["kind"] for c in bundle["checkpoints"]}
    assert kinds == {"entrance": "entrance", "room-room-201": "room", "add-on-grant-writing": "add_on"}
    room = next(c for c in bundle["checkpoints"] if c["kind"] == "room")
    assert [(s["title"], s["required_add_on"]) for s in room["sessions"]] == [
        ("Opening", None),
        ("Hands-on", "grant-writing"),
    ]
    desk = next(c for c in bundle["checkpoints"] if c["kind"] == "add_on")
    assert desk["required_add_on"] == "grant-writing"
    assert sorted((b["status"], b["version"], b["add_ons"]) for b in bundle["badges"]) == [
        ("not_paid", 1, []),
        ("ok", 2, ["grant-writing"]),
    ]
    assert all(b["name"] is None for b in bundle["badges"])
    ada_serial = next(b["serial"] for b in bundle["badges"] if b["status"] == "ok")
    assert bundle["revoked"] == [{"serial": ada_serial, "below_version": 2}]


async def test_bundle_answers_304_until_something_changes(
    settings: Settings, client: Client, staff: dict[str, str], badge_event: BadgeEvent
) -> None:
    ada = await add_registration(settings, badge_event)
    url = f"/api/events/{badge_event.slug}/scanner-bundle"
    first = await client.get(url, headers=staff)
    etag = first.headers["etag"]

    unchanged = await client.get(url, headers={**staff, "If-None-Match": etag})
    await client.post(f"/api/registrations/{ada}/badge/reprint", headers=staff)
    changed = await client.get(url, headers={**staff, "If-None-Match": etag})

    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", etag)
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_names_for_offline_lookup_only_when_asked(
    settings: Settings, client: Client, staff: dict[str, str], badge_event: BadgeEvent
) -> None:
    await add_registration(settings, badge_event, first_name="Katherine", last_name="Johnson")
    url = f"/api/events/{badge_event.slug}/scanner-bundle"

    plain = await client.get(url, headers=staff)
    named = await client.get(url, params={"names": "true"}, headers=staff)

    [badge] = named.json()["badges"]
    assert (badge["name"], badge["affiliation"]) == ("Katherine Johnson", "Analytical Society")
    assert badge["email"].startswith("katherine-")
    assert plain.headers["etag"] != named.headers["etag"]


async def test_lookup_finds_by_name_or_email_for_staff_only(
    settings: Settings, client: Client, staff: dict[str, str], badge_event: BadgeEvent
) -> None:
    await add_registration(settings, badge_event, first_name="Dorothy", last_name="Vaughan")
    await add_registration(settings, badge_event, first_name="Mary", last_name="Jackson")
    url = f"/api/events/{badge_event.slug}/attendees"

    by_name = await client.get(url, params={"q": "VAUGHAN"}, headers=staff)
    by_email = await client.get(url, params={"q": "mary-"}, headers=staff)
    nobody = await client.get(url, params={"q": "zzz"}, headers=staff)
    blank = await client.get(url, params={"q": "   "}, headers=staff)
    anonymous = await client.get(url, params={"q": "mary"})

    assert [m["name"] for m in by_name.json()] == ["Dorothy Vaughan"]
    assert [m["name"] for m in by_email.json()] == ["Mary Jackson"]
    assert nobody.json() == []
    assert (blank.status_code, blank.json()["field"]) == (422, "q")
    assert anonymous.status_code == 401


async def test_a_token_fetched_before_a_reprint_is_listed_as_revoked(
    settings: Settings, client: Client, staff: dict[str, str], badge_event: BadgeEvent
) -> None:
    ada = await add_registration(settings, badge_event)
    await badge_token(client, staff, ada)
    for _ in range(2):
        await client.post(f"/api/registrations/{ada}/badge/reprint", headers=staff)

    bundle = (await client.get(f"/api/events/{badge_event.slug}/scanner-bundle", headers=staff)).json()

    assert [(r["below_version"]) for r in bundle["revoked"]] == [3]
    assert [b["version"] for b in bundle["badges"]] == [3]


async def test_bundle_is_gzipped_for_clients_that_take_it(
    settings: Settings, client: Client, staff: dict[str, str], badge_event: BadgeEvent
) -> None:
    await add_registration(settings, badge_event, first_name="Mary", last_name="Jackson")
    url = f"/api/events/{badge_event.slug}/scanner-bundle"

    packed = await client.get(url, params={"names": "true"}, headers={**staff, "Accept-Encoding": "gzip"})
    plain = await client.get(url, params={"names": "true"}, headers={**staff, "Accept-Encoding": "identity"})

    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert packed.json() == plain.json()
    assert packed.json()["badges"][0]["name"] == "Mary Jackson"
    assert packed.headers["etag"] == plain.headers["etag"]
