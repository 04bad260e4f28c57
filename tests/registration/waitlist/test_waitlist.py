"""Waitlists: queue for a full workshop, freed seats go to the queue first, offers hold, claim or lapse."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import httpx
from sqlalchemy import select, update

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.attachments import drain_outbox
from registration.mail.reminders import enqueue_reminders
from registration.models import AddOn, Quota, WaitlistEntry
from registration.orders.holds import expire_holds
from registration.waitlist import services as waitlist
from tests.asgi_client import Client
from tests.registration.factories import (
    CatalogFixture,
    attendee,
    build_catalog,
    db_session_for,
    order_body,
    outbox_mails,
)

LATER = dt.timedelta(hours=1)


async def join(client: Client, slug: str, email: str, **item: str) -> httpx.Response:
    return await client.post(f"/api/events/{slug}/waitlist", json={"email": email, "name": "Waiting Person", **item})


async def sweep(settings: Settings, catalog: CatalogFixture, now: dt.datetime) -> tuple[int, int]:
    """One sweeper round for this test's event: end expired holds, then lapse and offer."""
    async with db_session_for(settings) as db_session:
        await expire_holds(db_session, now=now, event_id=catalog.event_id)
        made = await waitlist.process_waitlists(db_session, now=now, event_id=catalog.event_id)
        await db_session.commit()  # the sweep's job owns the transaction
        return made


async def workshop_used(settings: Settings, catalog: CatalogFixture) -> int:
    async with db_session_for(settings) as db_session:
        return await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota_id)) or 0


async def full_workshop(settings: Settings, client: Client) -> tuple[CatalogFixture, dict[str, object]]:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=1)
    first = (
        await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(add_ons=["workshop"])))
    ).json()
    return catalog, first


async def test_joining_needs_a_full_item_and_is_idempotent(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        roomy = await build_catalog(db_session, workshop_seats=5)
    catalog, _ = await full_workshop(settings, client)

    too_early = await join(client, roomy.slug, "w@example.org", add_on="workshop")
    first = await join(client, catalog.slug, "w1@example.org", add_on="workshop")
    again = await join(client, catalog.slug, "W1@example.org", add_on="workshop")
    second = await join(client, catalog.slug, "w2@example.org", add_on="workshop")
    both = await client.post(
        f"/api/events/{catalog.slug}/waitlist",
        json={"email": "x@example.org", "name": "X", "add_on": "workshop", "category": "member"},
    )

    assert (too_early.status_code, too_early.json()["code"]) == (409, "seats_available")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["position"], second.json()["position"]) == (1, 2)
    assert (both.status_code, both.json()["field"]) == (422, "category")


async def test_freed_seat_goes_to_the_queue_not_to_a_new_buyer(settings: Settings, client: Client) -> None:
    catalog, _ = await full_workshop(settings, client)
    entry = (await join(client, catalog.slug, "first-in-line@example.org", add_on="workshop")).json()
    await join(client, catalog.slug, "second-in-line@example.org", add_on="workshop")
    later = dt.datetime.now(dt.UTC) + LATER  # the first buyer's hold has run out by then

    lapsed_offered = await sweep(settings, catalog, later)
    jumper = await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(add_ons=["workshop"])))
    offer = (await client.get(f"/api/waitlist/{entry['id']}", params={"token": entry["token"]})).json()
    claim = {"entry_id": entry["id"], "token": entry["token"]}
    claimed = await client.post(
        f"/api/events/{catalog.slug}/orders",
        json=order_body(attendee("first-in-line@example.org", add_ons=["workshop"]), waitlist_claim=claim),
    )
    after = (await client.get(f"/api/waitlist/{entry['id']}", params={"token": entry["token"]})).json()

    assert lapsed_offered == (0, 1)
    assert (jumper.status_code, jumper.json()["code"]) == (409, "sold_out")
    assert offer["status"] == "offered"
    assert claimed.status_code == 201
    assert after["status"] == "claimed"
    assert await workshop_used(settings, catalog) == 1


async def test_unclaimed_offer_lapses_and_passes_to_the_next(settings: Settings, client: Client) -> None:
    catalog, _ = await full_workshop(settings, client)
    first = (await join(client, catalog.slug, "slow@example.org", add_on="workshop")).json()
    second = (await join(client, catalog.slug, "next@example.org", add_on="workshop")).json()
    now = dt.datetime.now(dt.UTC)
    await sweep(settings, catalog, now + LATER)

    lapsed, offered = await sweep(settings, catalog, now + LATER + dt.timedelta(hours=25))

    slow = (await client.get(f"/api/waitlist/{first['id']}", params={"token": first["token"]})).json()
    following = (await client.get(f"/api/waitlist/{second['id']}", params={"token": second["token"]})).json()
    assert (lapsed, offered) == (1, 1)
    assert (slow["status"], following["status"]) == ("lapsed", "offered")
    assert await workshop_used(settings, catalog) == 1


async def test_claims_need_the_right_token_and_item(settings: Settings, client: Client) -> None:
    catalog, _ = await full_workshop(settings, client)
    entry = (await join(client, catalog.slug, "me@example.org", add_on="workshop")).json()
    await sweep(settings, catalog, dt.datetime.now(dt.UTC) + LATER)

    wrong_token = await client.post(
        f"/api/events/{catalog.slug}/orders",
        json=order_body(attendee(add_ons=["workshop"]), waitlist_claim={"entry_id": entry["id"], "token": "x" * 20}),
    )
    wrong_item = await client.post(
        f"/api/events/{catalog.slug}/orders",
        json=order_body(attendee(), waitlist_claim={"entry_id": entry["id"], "token": entry["token"]}),
    )
    peek = await client.get(f"/api/waitlist/{entry['id']}", params={"token": "nope-nope-nope"})

    assert wrong_token.status_code == 404
    assert (wrong_item.status_code, wrong_item.json()["field"]) == (422, "waitlist_claim")
    assert peek.status_code == 404


async def test_leaving_with_an_offer_gives_the_seat_back(settings: Settings, client: Client) -> None:
    catalog, _ = await full_workshop(settings, client)
    entry = (await join(client, catalog.slug, "bye@example.org", add_on="workshop")).json()
    await sweep(settings, catalog, dt.datetime.now(dt.UTC) + LATER)

    left = await client.post(f"/api/waitlist/{entry['id']}/leave", params={"token": entry["token"]})

    assert left.json()["status"] == "left"
    assert await workshop_used(settings, catalog) == 0


class Captured:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


async def test_offer_is_mailed_with_its_claim_link(settings: Settings, client: Client) -> None:
    catalog, _ = await full_workshop(settings, client)
    entry = (await join(client, catalog.slug, "mail-me@example.org", add_on="workshop")).json()
    await sweep(settings, catalog, dt.datetime.now(dt.UTC) + LATER)
    inbox = Captured()

    async with db_session_for(settings) as db_session:
        rows = [mail for _, mail in await outbox_mails(db_session, OutboxMessage.to_address == "mail-me@example.org")]
        await drain_outbox(db_session, inbox, settings)

    offer = next(m for m in inbox.messages if m["To"] == "mail-me@example.org")
    assert [r.subject for r in rows] == ["Test Meeting: a seat is waiting for you"]
    body = offer.get_body(preferencelist=("plain",))
    assert body is not None
    assert f"/events/{catalog.slug}/waitlist/{entry['id']}?token={entry['token']}" in body.get_content()


async def test_offer_mail_goes_out_in_the_language_the_person_joined_in(settings: Settings, client: Client) -> None:
    catalog, _ = await full_workshop(settings, client)
    joined = await client.post(
        f"/api/events/{catalog.slug}/waitlist",
        json={"email": "espera@example.org", "name": "Ana Pérez", "add_on": "workshop"},
        headers={"Accept-Language": "es"},
    )

    # The sweep that makes the offer runs in no request, in English by default.
    await sweep(settings, catalog, dt.datetime.now(dt.UTC) + LATER)
    async with db_session_for(settings) as db_session:
        before = [mail for _, mail in await outbox_mails(db_session, OutboxMessage.to_address == "espera@example.org")]
        # The organizer names the workshop in Spanish too: the reminder, made after, names it so.
        await db_session.execute(
            update(AddOn)
            .where(AddOn.event_id == catalog.event_id, AddOn.code == "workshop")
            .values(translations={"es": {"name": "Taller de solicitudes de financiación"}})
        )
        entry = await db_session.get_one(WaitlistEntry, joined.json()["id"])
        assert entry.offer_expires_at is not None
        await enqueue_reminders(db_session, offer_hours=24, now=entry.offer_expires_at - LATER)
        await db_session.commit()
        reminder = [
            mail
            for row, mail in await outbox_mails(db_session, OutboxMessage.to_address == "espera@example.org")
            if row.template == "offer_reminder"
        ]

    assert joined.status_code == 201
    assert [r.subject for r in before] == ["Test Meeting: hay una plaza esperándote"]
    assert "Una plaza que esperabas (Grant Writing Workshop)" in " ".join(before[0].text.split())
    assert len(reminder) == 1 and "Taller de solicitudes de financiación" in " ".join(reminder[0].text.split())
    assert "Grant Writing Workshop" not in reminder[0].text


async def test_offer_and_its_reminder_show_the_clock_of_the_zone_the_person_joined_in(
    settings: Settings, client: Client
) -> None:
    joined: dict[str, dict[str, str]] = {}
    for email, cookie in (("tokyo@example.org", "Asia/Tokyo"), ("nowhere@example.org", "Nowhere/Atlantis")):
        catalog, _ = await full_workshop(settings, client)
        joined[email] = (
            await client.post(
                f"/api/events/{catalog.slug}/waitlist",
                json={"email": email, "name": "Waiting Person", "add_on": "workshop"},
                headers={"Cookie": f"podium_tz={cookie}"},
            )
        ).json()
        await sweep(settings, catalog, dt.datetime.now(dt.UTC) + LATER)
    async with db_session_for(settings) as db_session:
        zones = {email: (await db_session.get_one(WaitlistEntry, e["id"])).time_zone for email, e in joined.items()}
        expires = (await db_session.get_one(WaitlistEntry, joined["tokyo@example.org"]["id"])).offer_expires_at
        assert expires is not None

        await enqueue_reminders(db_session, offer_hours=24, now=expires - LATER)
        await db_session.commit()
        mails = {
            email: {
                row.template: mail for row, mail in await outbox_mails(db_session, OutboxMessage.to_address == email)
            }
            for email in joined
        }

    assert zones == {"tokyo@example.org": "Asia/Tokyo", "nowhere@example.org": None}
    assert set(mails["tokyo@example.org"]) == {"waitlist_offer", "offer_reminder"}
    for mail in mails["tokyo@example.org"].values():
        assert "your time, Asia/Tokyo)" in mail.text and "your time, Asia/Tokyo)" in mail.html
    for mail in mails["nowhere@example.org"].values():
        assert "your time" not in mail.text and "your time" not in mail.html


async def test_a_refusal_names_its_value_in_the_callers_language(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)

    refused = await client.post(
        f"/api/events/{catalog.slug}/waitlist",
        json={"email": "x@example.org", "name": "X", "add_on": "yoga"},
        headers={"Accept-Language": "es"},
    )

    body = refused.json()
    assert (refused.status_code, body["code"], body["field"]) == (422, "invalid_input", "add_on")
    assert body["detail"] == "no hay ningún complemento 'yoga' en este evento"
    assert body["errors"] == [{"field": "add_on", "message": "no hay ningún complemento 'yoga' en este evento"}]
