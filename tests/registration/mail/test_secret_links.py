"""Secret links taken back: an order's or a registration's link made anew (old one 404 at once, the new one
mailed exactly once, also under racing regenerations), and a transfer that cuts the buyer's order link off
the transferred registration's badge and agenda while the new holder's link opens them."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, update

from badges.models import Badge
from podium.main.app import create_app
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.links.tokens import order_secret, order_url, registration_secret, registration_url
from registration.mail.attachments import drain_outbox
from registration.models import Order, Registration
from tests.asgi_client import Client, app_client
from tests.page_forms import csrf_of
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

HTML = {"Accept": "text/html"}


class Outbox:
    """A sender that keeps what it is given (the outbox's real drain composes the mails)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def paid_order(client: Client, catalog: CatalogFixture, people: int = 2) -> dict[str, Any]:
    body = order_body(*(attendee() for _ in range(people)))
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=body)).json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code == 200, paid.text
    return paid.json()


async def mark_outbox_sent(settings: Settings) -> None:
    """Arrange: mails written so far (confirmations) are out of the way, so a drain sends only what the act wrote."""
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(OutboxMessage).values(status="sent"))
        await db_session.commit()


async def drain(settings: Settings) -> list[EmailMessage]:
    outbox = Outbox()
    async with db_session_for(settings) as db_session:
        await drain_outbox(db_session, outbox, settings, batch=500)
    return outbox.sent


async def pending_keys(settings: Settings) -> list[str]:
    async with db_session_for(settings) as db_session:
        rows = await db_session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.status == "pending"))
        return sorted(rows.all())


async def versions(settings: Settings, registration_id: str) -> tuple[int, int]:
    async with db_session_for(settings) as db_session:
        registration = await db_session.get_one(Registration, UUID(registration_id))
        order = await db_session.get_one(Order, registration.order_id)
        return registration.secret_version, order.secret_version


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def test_regenerating_the_order_link_ends_the_old_one_and_mails_the_new(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await paid_order(client, catalog)
    await mark_outbox_sent(settings)
    old = {"X-Order-Secret": order["secret"]}

    response = await client.post(f"/api/orders/{order['id']}/link", headers=old)

    new_secret = order_secret(settings.secret_key, UUID(order["id"]), 2)
    assert response.json() == {"mailed_to": "buyer@example.org", "secret_version": 2}
    assert new_secret not in response.text
    assert (await client.get(f"/api/orders/{order['id']}", headers=old)).status_code == 404
    assert (
        await client.get(f"/orders/{order['id']}", params={"secret": order["secret"]}, headers=HTML)
    ).status_code == 404
    assert (await client.get(f"/api/orders/{order['id']}", headers={"X-Order-Secret": new_secret})).status_code == 200
    [mail] = await drain(settings)
    assert mail["To"] == "buyer@example.org"
    assert order_url(settings.base_url, settings.secret_key, UUID(order["id"]), 2) in body_of(mail)
    assert order["secret"] not in body_of(mail)


async def test_regenerating_needs_the_current_secret_or_an_organizer(
    client: Client, catalog: CatalogFixture, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    order = await paid_order(client, catalog)
    other = await paid_order(client, catalog)
    registration = order["registrations"][0]["id"]
    await mark_outbox_sent(settings)

    wrong = await client.post(f"/api/orders/{order['id']}/link", headers={"X-Order-Secret": other["secret"]})
    nothing = await client.post(f"/api/orders/{order['id']}/link")
    by_staff = await client.post(f"/api/registrations/{registration}/link", headers=staff)
    foreign_order_secret = await client.post(
        f"/api/registrations/{registration}/link", headers={"X-Registration-Secret": other["secret"]}
    )
    by_organizer = await client.post(f"/api/orders/{order['id']}/link", headers=organizer)

    assert [r.status_code for r in (wrong, nothing, by_staff, foreign_order_secret)] == [404, 404, 404, 404]
    assert by_organizer.json()["secret_version"] == 2
    [mail] = await drain(settings)
    assert "The organizers made a new link" in body_of(mail)


async def test_regenerating_a_registration_link_ends_the_page_badge_link_and_feed_but_keeps_the_badge(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await paid_order(client, catalog)
    person = order["registrations"][0]
    old = {"X-Registration-Secret": person["attendee_url"].split("secret=", 1)[1]}
    feed = (await client.get(f"/api/registrations/{person['id']}/agenda", headers=old)).json()["feed"]["url"]
    feed_path = feed.removeprefix(settings.base_url)
    badge_before = (await client.get(f"/api/registrations/{person['id']}/badge", headers=old)).json()
    await mark_outbox_sent(settings)

    response = await client.post(f"/api/registrations/{person['id']}/link", headers=old)

    new = {"X-Registration-Secret": registration_secret(settings.secret_key, UUID(person["id"]), 2)}
    assert response.json() == {"mailed_to": person["email"], "secret_version": 2}
    assert (await client.get(f"/api/registrations/{person['id']}/agenda", headers=old)).status_code == 404
    assert (await client.get(f"/api/registrations/{person['id']}/badge", headers=old)).status_code == 404
    assert (await client.get(feed_path)).status_code == 404
    assert (await client.get(f"/api/registrations/{person['id']}/agenda", headers=new)).status_code == 200
    badge_after = (await client.get(f"/api/registrations/{person['id']}/badge", headers=new)).json()
    assert (badge_after["serial"], badge_after["version"]) == (badge_before["serial"], badge_before["version"])
    new_feed = (await client.get(f"/api/registrations/{person['id']}/agenda", headers=new)).json()["feed"]["url"]
    assert (await client.get(new_feed.removeprefix(settings.base_url))).status_code == 200
    [mail] = await drain(settings)
    assert mail["To"] == person["email"]
    assert registration_url(settings.base_url, settings.secret_key, UUID(person["id"]), 2) in body_of(mail)


async def test_the_buyer_regenerates_an_attendees_link_with_the_order_secret(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await paid_order(client, catalog)
    person = order["registrations"][1]
    await mark_outbox_sent(settings)

    response = await client.post(f"/api/registrations/{person['id']}/link", params={"secret": order["secret"]})

    assert response.json()["secret_version"] == 2
    assert await versions(settings, person["id"]) == (2, 1)
    assert await pending_keys(settings) == [f"registration-link:{person['id']}:2"]


@pytest.mark.parametrize("by", ["organizer", "buyer"])
async def test_racing_order_link_regenerations_each_mail_their_own_link_and_only_the_last_works(
    by: str, client: Client, catalog: CatalogFixture, settings: Settings, organizer: dict[str, str]
) -> None:
    """Organizers all get through; racers with the buyer's secret get through until one has committed (the
    others then hold a dead secret: 404). Either way every success has its own version and its own mail."""
    order = await paid_order(client, catalog)
    await mark_outbox_sent(settings)
    racers = 6
    headers = organizer if by == "organizer" else {"X-Order-Secret": order["secret"]}

    responses = await asyncio.gather(
        *(client.post(f"/api/orders/{order['id']}/link", headers=headers) for _ in range(racers))
    )

    won = sorted(r.json()["secret_version"] for r in responses if r.status_code == 200)
    last = len(won) + 1
    assert won == list(range(2, last + 1))
    assert [r.status_code for r in responses if r.status_code != 200] == [404] * (racers - len(won))
    assert len(won) == racers if by == "organizer" else len(won) >= 1
    assert await pending_keys(settings) == sorted(f"order-link:{order['id']}:{v}" for v in won)
    mails = await drain(settings)
    named = sorted(
        _version_of(settings, order["id"], s) for m in mails for s in re.findall(r"secret=(\S+)", body_of(m))
    )
    assert named == won
    opens = {
        v: (
            await client.get(
                f"/api/orders/{order['id']}",
                headers={"X-Order-Secret": order_secret(settings.secret_key, UUID(order["id"]), v)},
            )
        ).status_code
        for v in range(1, last + 1)
    }
    assert opens == {**{v: 404 for v in range(1, last)}, last: 200}


def _version_of(settings: Settings, order_id: str, secret: str) -> int:
    """Which version of the order's link a mailed secret is (0: none)."""
    return next((v for v in range(1, 50) if order_secret(settings.secret_key, UUID(order_id), v) == secret), 0)


async def test_a_transfer_cuts_the_buyers_order_link_off_the_transferred_registration(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await paid_order(client, catalog)
    moved, kept = order["registrations"][0]["id"], order["registrations"][1]["id"]
    buyer = {"X-Registration-Secret": order["secret"]}
    views = [
        f"/api/registrations/{moved}/badge",
        f"/api/registrations/{moved}/badge.pdf",
        f"/api/registrations/{moved}/agenda",
    ]
    before = [(await client.get(url, headers=buyer)).status_code for url in views]
    page_before = await client.get(f"/registrations/{moved}", params={"secret": order["secret"]}, headers=HTML)
    await mark_outbox_sent(settings)
    new_person = {
        "email": "lise@example.org",
        "first_name": "Lise",
        "last_name": "Meitner",
        "country": "AT",
        "member_number": "M-9",
    }

    transferred = await client.post(
        f"/api/orders/{order['id']}/registrations/{moved}/transfer",
        json=new_person,
        headers={"X-Order-Secret": order["secret"]},
    )

    holder = {"X-Registration-Secret": registration_secret(settings.secret_key, UUID(moved), 2)}
    assert before == [200, 200, 200] and page_before.status_code == 200
    assert [(await client.get(url, headers=buyer)).status_code for url in views] == [404, 404, 404]
    page = await client.get(f"/registrations/{moved}", params={"secret": order["secret"]}, headers=HTML)
    assert page.status_code == 404
    assert [(await client.get(url, headers=holder)).status_code for url in views] == [200, 200, 200]
    holder_page = await client.get(
        f"/registrations/{moved}", params={"secret": holder["X-Registration-Secret"]}, headers=HTML
    )
    assert holder_page.status_code == 200 and "Lise" in holder_page.text
    assert (await client.get(f"/api/registrations/{kept}/badge", headers=buyer)).status_code == 200
    relink = await client.post(f"/api/registrations/{moved}/link", headers=buyer)
    assert relink.status_code == 404
    row = next(r for r in transferred.json()["registrations"] if r["id"] == moved)
    assert (row["transferred"], row["attendee_url"], row["first_name"]) == (True, None, "Lise")
    order_page = await client.get(f"/orders/{order['id']}", params={"secret": order["secret"]}, headers=HTML)
    assert "Lise Meitner" in order_page.text and "Transferred" in order_page.text
    assert f"/registrations/{moved}?" not in order_page.text and f"/registrations/{kept}?" in order_page.text
    mails = {m["To"]: body_of(m) for m in await drain(settings)}
    assert set(mails) == {"lise@example.org", order["registrations"][0]["email"]}
    assert registration_url(settings.base_url, settings.secret_key, UUID(moved), 2) in mails["lise@example.org"]
    assert "secret=" not in mails[order["registrations"][0]["email"]]


async def test_a_transfer_revokes_the_badge_but_a_new_link_does_not(
    client: Client, catalog: CatalogFixture, settings: Settings, organizer: dict[str, str]
) -> None:
    order = await paid_order(client, catalog, people=1)
    person = order["registrations"][0]["id"]
    await client.get(f"/api/registrations/{person}/badge", headers=organizer)

    await client.post(f"/api/registrations/{person}/link", headers=organizer)
    after_link = await _badge_version(settings, person)
    await client.post(
        f"/api/orders/{order['id']}/registrations/{person}/transfer",
        json={
            "email": "otto@example.org",
            "first_name": "Otto",
            "last_name": "Hahn",
            "country": "DE",
            "member_number": "M-1",
        },
        headers=organizer,
    )

    assert (after_link, await _badge_version(settings, person)) == (1, 2)


async def _badge_version(settings: Settings, registration_id: str) -> int:
    async with db_session_for(settings) as db_session:
        return await db_session.scalar(select(Badge.version).where(Badge.registration_id == UUID(registration_id))) or 0


async def test_the_link_buttons_on_the_pages_mail_a_new_link(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await paid_order(client, catalog, people=1)
    person = order["registrations"][0]
    own = person["attendee_url"].split("secret=", 1)[1]
    order_page = await client.get(f"/orders/{order['id']}", params={"secret": order["secret"]}, headers=HTML)
    agenda_page = await client.get(f"/registrations/{person['id']}", params={"secret": own}, headers=HTML)
    await mark_outbox_sent(settings)

    order_sent = await _submit(client, order_page.text, f"/orders/{order['id']}/link?secret={order['secret']}")
    page_sent = await _submit(client, agenda_page.text, f"/registrations/{person['id']}/link?secret={own}")

    assert order_sent.status_code == 200 and "mailed it to buyer@example.org" in order_sent.text
    assert page_sent.status_code == 200 and f"mailed it to {person['email']}" in page_sent.text
    assert await versions(settings, person["id"]) == (2, 2)
    assert len(await pending_keys(settings)) == 2


async def _submit(client: Client, page: str, action: str) -> Any:
    """Post the page's form for ``action`` as a browser would, with the CSRF field the page carries."""
    form = page[page.index(f'action="{action}"') :]
    return await client.post(action, data={"_csrf_token": csrf_of(form)}, headers=HTML)


async def test_a_links_holder_may_have_only_so_many_new_links_mailed_but_organizers_any(
    client: Client, catalog: CatalogFixture, settings: Settings, organizer: dict[str, str]
) -> None:
    """A leaked link can't flood its holder's inbox: the holder's regenerations count per link."""
    limited = dataclasses.replace(settings, link_mails_per_link=2)
    order = await paid_order(client, catalog)
    await mark_outbox_sent(settings)
    answers = []
    async with app_client(create_app(limited)) as holder:
        for version in (1, 2, 3):
            secret = order_secret(settings.secret_key, UUID(order["id"]), version)
            answers.append(await holder.post(f"/api/orders/{order['id']}/link", headers={"X-Order-Secret": secret}))
        by_organizer = await holder.post(f"/api/orders/{order['id']}/link", headers=organizer)

    refused = answers[2].json()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert (refused["code"], int(answers[2].headers["Retry-After"]) > 0) == ("too_many_requests", True)
    assert by_organizer.json()["secret_version"] == 4
    assert len(await pending_keys(settings)) == 3
