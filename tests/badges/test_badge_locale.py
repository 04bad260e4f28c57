"""A badge prints its category in the attendee's language (their registration's), whoever downloads or prints
it: the name the organizer gave in that language, else the base name."""

from __future__ import annotations

from sqlalchemy import select, update

from badges.printing import registration_cards
from podium.i18n import using_locale
from podium.settings import Settings
from registration.models import Category, Registration
from tests.asgi_client import Client
from tests.badges.conftest import badge_token, checkpoints_of, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration
from tests.badges.test_badge_documents import _secrets
from tests.pdf_reading import pdf_text
from tests.registration.factories import db_session_for


async def _in(settings: Settings, badge_event: BadgeEvent, locale: str, first_name: str) -> Registration:
    registration_id = await add_registration(settings, badge_event, first_name=first_name)
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(Registration).where(Registration.id == registration_id).values(locale=locale))
        await db_session.commit()
        return await db_session.get_one(Registration, registration_id)


async def _name_member(settings: Settings, badge_event: BadgeEvent) -> None:
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Category)
            .where(Category.id == badge_event.member_id)
            .values(translations={"es": {"name": "Miembro"}, "zh_Hans": {"name": "会员"}})
        )
        await db_session.commit()


async def test_a_batch_prints_each_badges_category_in_its_attendees_language(
    settings: Settings, badge_event: BadgeEvent
) -> None:
    await _name_member(settings, badge_event)
    people = [
        await _in(settings, badge_event, "es", "Ana"),
        await _in(settings, badge_event, "fr", "Luc"),
        await _in(settings, badge_event, "zh_Hans", "Li"),
    ]

    async with db_session_for(settings) as db_session:
        registrations = (
            await db_session.scalars(select(Registration).where(Registration.id.in_([p.id for p in people])))
        ).all()
        with using_locale("en"):  # the print desk's own language changes nothing
            cards = await registration_cards(db_session, registrations, settings.secret_key)

    by_name = {card.first_name: card.category for card in cards}
    assert by_name == {"Ana": "Miembro", "Luc": "Member", "Li": "会员"}


async def test_the_attendees_badge_pdf_reads_their_category_in_their_language(
    settings: Settings, client: Client, badge_event: BadgeEvent
) -> None:
    await _name_member(settings, badge_event)
    registration = await _in(settings, badge_event, "es", "Ana")
    own_secret, _ = await _secrets(settings, registration.id)

    pdf = await client.get(
        f"/api/registrations/{registration.id}/badge.pdf",
        params={"secret": own_secret},
        headers={"Accept-Language": "en"},
    )

    assert pdf.status_code == 200, pdf.text
    text = await pdf_text(pdf.content)
    assert "MIEMBRO" in text and "MEMBER" not in text


async def test_staff_read_the_category_in_their_own_language_online_in_lookup_and_offline(
    settings: Settings, client: Client, badge_event: BadgeEvent, staff: dict[str, str], organizer: dict[str, str]
) -> None:
    """At the door the reader is the staff member: the scan's answer, the lookup and the offline bundle name
    the category in the language staff asked for, whatever the attendee's own."""
    await _name_member(settings, badge_event)
    registration = await _in(settings, badge_event, "zh_Hans", "Ana")
    points = await checkpoints_of(client, organizer, badge_event.slug)
    token = await badge_token(client, staff, registration.id)
    spanish, english = {**staff, "Accept-Language": "es"}, {**staff, "Accept-Language": "en"}

    answer = await post_scans(client, spanish, scan(token, points["entrance"]))
    found = await client.get(f"/api/events/{badge_event.slug}/attendees", params={"q": "Ana"}, headers=spanish)
    in_spanish = await client.get(f"/api/events/{badge_event.slug}/scanner-bundle", headers=spanish)
    in_english = await client.get(f"/api/events/{badge_event.slug}/scanner-bundle", headers=english)

    assert answer[0]["attendee"]["category"] == "Miembro"
    assert found.status_code == 200, found.text
    assert [match["category"] for match in found.json()] == ["Miembro"]
    assert in_spanish.json()["category_names"] == {"member": "Miembro", "press": "Press"}
    assert in_english.json()["category_names"] == {"member": "Member", "press": "Press"}
    # Each language's bundle is its own version, and shared caches keep them apart.
    assert in_spanish.headers["ETag"] != in_english.headers["ETag"]
    assert "Accept-Language" in in_spanish.headers["Vary"]
