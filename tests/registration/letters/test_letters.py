"""Visa letters through the API: issued at once for a paid registration, reviewed where the event says so,
revoked; bad input named field by field; another attendee's secret opens nothing; the attendee's answers, the
public page and the logs never carry the passport data, which organizers read with an audit entry."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from podium import i18n
from podium.audit_models import AuditEntry
from podium.locale_choice import COOKIE
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.letters.sealing import unseal
from registration.models import VisaLetter
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, db_session_for, outbox_mails
from tests.registration.letters.conftest import NUMBER, PASSPORT, registration_of


def _url(registration: dict[str, str], tail: str = "") -> str:
    return f"/api/registrations/{registration['id']}/letter{tail}"


def _secret(registration: dict[str, str]) -> dict[str, str]:
    return {"X-Registration-Secret": registration["secret"]}


async def _ask(client: Client, registration: dict[str, str], **changes: Any) -> Any:
    return await client.post(_url(registration), json=PASSPORT | changes, headers=_secret(registration))


async def _letter_mails(settings: Settings, *to: str) -> list[tuple[str, str, str]]:
    """The letter mails in the outbox to these addresses: (template, address, text)."""
    async with db_session_for(settings) as db_session:
        mails = await outbox_mails(
            db_session, OutboxMessage.template.startswith("letter_"), OutboxMessage.to_address.in_(to)
        )
    return [(row.template, row.to_address, rendered.text) for row, rendered in mails]


async def test_paid_registration_gets_its_letter_at_once_and_the_mail_once(
    client: Client, settings: Settings, catalog: CatalogFixture, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    registration = await registration_of(client, settings, catalog, email="ada.letter@example.org")

    asked = await _ask(client, registration)
    read = await client.get(_url(registration), headers=_secret(registration))
    again = await _ask(client, registration)

    assert asked.status_code == 201, asked.text
    letter = asked.json()
    assert (letter["status"], letter["passport_number"], letter["embassy_city"]) == ("issued", "•••••321", "Lagos")
    assert read.json() == letter
    assert again.status_code == 409 and again.json()["code"] == "letter_exists"
    for body in (asked.text, read.text, again.text):
        assert NUMBER not in body and "1991-03-14" not in body and "Okonkwo" not in body
    mails = await _letter_mails(settings, "ada.letter@example.org")
    assert [(template, to) for template, to, _ in mails] == [("letter_issued", "ada.letter@example.org")]
    assert letter["code"] in mails[0][2] and NUMBER not in mails[0][2]
    async with db_session_for(settings) as db_session:
        sealed = await db_session.scalar(select(VisaLetter.sealed).where(VisaLetter.id == UUID(letter["id"])))
    assert sealed is not None
    assert NUMBER.encode() not in sealed and b"Okonkwo" not in sealed  # sealed, not just encoded
    assert unseal(settings.secret_key, UUID(letter["id"]), sealed).passport_number == NUMBER
    assert NUMBER not in caplog.text and "1991-03-14" not in caplog.text and "Okonkwo" not in caplog.text


async def test_bad_fields_are_all_named_in_one_problem(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    registration = await registration_of(client, settings, catalog)

    refused = await _ask(
        client,
        registration,
        passport_name="A",
        nationality="XX",
        passport_number="AB-12",
        date_of_birth="2999-01-01",
        embassy_city="",
    )
    ancient = await _ask(client, registration, date_of_birth="1850-01-01", passport_number="AB12")
    not_a_date = await _ask(client, registration, date_of_birth="14/03/1991", passport_name="x" * 101)
    unknown = await client.post(_url(registration), json=PASSPORT | {"visa_type": "B1"}, headers=_secret(registration))

    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == ["passport_name", "nationality", "passport_number", "date_of_birth", "embassy_city"]
    assert [e["field"] for e in ancient.json()["errors"]] == ["passport_number", "date_of_birth"]
    assert [e["field"] for e in not_a_date.json()["errors"]] == ["passport_name", "date_of_birth"]
    assert unknown.status_code == 422 and unknown.json()["field"] == "visa_type"
    async with db_session_for(settings) as db_session:
        assert (
            await db_session.scalar(select(VisaLetter).where(VisaLetter.registration_id == UUID(registration["id"])))
            is None
        )


async def test_another_attendees_secret_opens_nothing(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    mine = await registration_of(client, settings, catalog)
    theirs = await registration_of(client, settings, catalog)
    await _ask(client, mine)

    wrong = {"X-Registration-Secret": theirs["secret"]}
    responses = [
        await client.get(_url(mine), headers=wrong),
        await client.post(_url(mine), json=PASSPORT, headers=wrong),
        await client.get(_url(mine, "/pdf"), headers=wrong),
        await client.get(_url(mine)),
        await client.get(f"/registrations/{mine['id']}/letter?secret={theirs['secret']}"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert all(NUMBER not in r.text for r in responses)


async def test_unpaid_registration_is_refused_unless_the_event_allows_it_then_reviewed(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    unpaid = await registration_of(client, settings, catalog, pay=False, email="unpaid@example.org")
    refused = await _ask(client, unpaid)

    allowed = await client.put(
        f"/api/events/{catalog.slug}/letters/settings",
        json={"review_first": False, "allow_unconfirmed": True, "erase_after_days": 10},
        headers=organizer,
    )
    pending = await _ask(client, unpaid)

    assert refused.status_code == 409 and refused.json()["code"] == "not_confirmed"
    assert allowed.json() == {
        "review_first": False,
        "allow_unconfirmed": True,
        "erase_after_days": 10,
        "signatory": "",
        "has_signature": False,
        "signatory_title": "",
    }
    assert pending.status_code == 201 and pending.json()["status"] == "pending"  # not paid: always reviewed
    assert await _letter_mails(settings, "unpaid@example.org") == []
    await client.put(f"/api/events/{catalog.slug}/letters/settings", json={"review_first": False}, headers=organizer)


async def test_review_flow_approve_and_reject_mail_once_each(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    base = f"/api/events/{catalog.slug}/letters"
    await client.put(f"{base}/settings", json={"review_first": True}, headers=organizer)
    first = await registration_of(client, settings, catalog, email="first@example.org")
    second = await registration_of(client, settings, catalog, email="second@example.org")
    one = (await _ask(client, first)).json()
    two = (await _ask(client, second)).json()

    pending = await client.get(base, params={"status": "pending"}, headers=organizer)
    as_staff = await client.get(base, headers=staff)
    approved = await client.post(f"{base}/{one['id']}/approve", json={}, headers=organizer)
    approved_again = await client.post(f"{base}/{one['id']}/approve", json={}, headers=organizer)
    no_reason = await client.post(f"{base}/{two['id']}/reject", json={"note": " "}, headers=organizer)
    rejected = await client.post(f"{base}/{two['id']}/reject", json={"note": "Registration unclear"}, headers=organizer)
    issued = await client.get(base, params={"status": "issued"}, headers=organizer)
    bad_filter = await client.get(base, params={"status": "lost"}, headers=organizer)
    asked_again = await _ask(client, second)

    assert one["status"] == two["status"] == "pending"
    assert [(x["id"], x["email"]) for x in pending.json()] == [
        (one["id"], "first@example.org"),
        (two["id"], "second@example.org"),
    ]
    assert NUMBER not in pending.text and "1991" not in pending.text
    assert as_staff.status_code == 403
    assert approved.json()["status"] == "issued" and approved_again.json()["code"] == "not_pending"
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "note"
    assert rejected.json()["status"] == "rejected" and rejected.json()["note"] == "Registration unclear"
    assert [x["id"] for x in issued.json()] == [one["id"]]
    assert bad_filter.status_code == 422 and bad_filter.json()["field"] == "status"
    assert asked_again.status_code == 201 and asked_again.json()["status"] == "pending"
    mails = await _letter_mails(settings, "first@example.org", "second@example.org")
    assert sorted((t, to) for t, to, _ in mails) == [
        ("letter_issued", "first@example.org"),
        ("letter_rejected", "second@example.org"),
    ]
    assert "Registration unclear" in next(text for t, _, text in mails if t == "letter_rejected")
    await client.put(f"{base}/settings", json={"review_first": False}, headers=organizer)


async def test_revoked_letter_says_so_publicly_and_mails_once(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    registration = await registration_of(client, settings, catalog, email="revoked@example.org")
    letter = (await _ask(client, registration)).json()
    base = f"/api/events/{catalog.slug}/letters/{letter['id']}"

    valid = await client.get(f"/letters/{letter['code']}")
    revoked = await client.post(f"{base}/revoke", json={"note": "Registration cancelled"}, headers=organizer)
    twice = await client.post(f"{base}/revoke", json={}, headers=organizer)
    after = await client.get(f"/letters/{letter['code']}")
    lower = await client.get(f"/letters/{letter['code'].lower()}")
    unknown = await client.get("/letters/ABCDEFGHJKMN")
    pdf = await client.get(_url(registration, "/pdf"), headers=_secret(registration))

    assert valid.status_code == 200 and 'id="letter-validity"><strong>Valid</strong>' in valid.text
    assert "Ada Lovelace" in valid.text
    assert revoked.json()["status"] == "revoked" and twice.json()["code"] == "not_issued"
    assert "<strong>Revoked</strong>" in after.text and lower.status_code == 200
    assert unknown.status_code == 404
    assert pdf.status_code == 409 and pdf.json()["code"] == "letter_not_issued"
    for page in (valid, after):
        assert NUMBER not in page.text and "1991-03-14" not in page.text and "Okonkwo" not in page.text
        assert "Lagos" not in page.text and "revoked@example.org" not in page.text
    mails = [(t, to) for t, to, _ in await _letter_mails(settings, "revoked@example.org")]
    assert mails == [("letter_issued", "revoked@example.org"), ("letter_revoked", "revoked@example.org")]


async def test_organizers_read_the_passport_data_and_each_view_is_audited(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    registration = await registration_of(client, settings, catalog)
    letter = (await _ask(client, registration)).json()
    url = f"/api/events/{catalog.slug}/letters/{letter['id']}/passport"

    views = [await client.get(url, headers=organizer) for _ in range(2)]
    by_staff = await client.get(url, headers=staff)
    by_attendee = await client.get(url, headers=_secret(registration))

    assert views[0].json() == {
        "letter_id": letter["id"],
        "erased": False,
        "passport_name": "Adaeze Okonkwo-Lovelace",
        "nationality": "NG",
        "passport_number": NUMBER,
        "date_of_birth": "1991-03-14",
    }
    assert views[0].headers["cache-control"] == "private, no-store"
    assert (by_staff.status_code, by_attendee.status_code) == (403, 401)
    async with db_session_for(settings) as db_session:
        entries = (
            await db_session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity_id == UUID(registration["id"]), AuditEntry.action == "letter_passport_viewed"
                )
            )
        ).all()
        notes = " ".join(str(e.note) for e in (await db_session.scalars(select(AuditEntry))).all())
    assert len(entries) == 2 and all(e.actor.startswith("organizer:") for e in entries)
    assert NUMBER not in notes and "Okonkwo" not in notes


async def test_letter_pages_are_translated_in_every_locale(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    """The request form (with a mistake shown), the attendee's page of an issued letter and the public
    verification page: every message they look up has a translation in each shipped locale."""
    asking = await registration_of(client, settings, catalog, email="form.letter@example.org")
    issued = await registration_of(client, settings, catalog, email="issued.letter@example.org")
    letter = (await _ask(client, issued)).json()
    html = {"Accept": "text/html"}
    pages = {
        "form": f"/registrations/{asking['id']}/letter?secret={asking['secret']}",
        "issued": f"/registrations/{issued['id']}/letter?secret={issued['secret']}",
        "verification": f"/letters/{letter['code']}",
    }
    seen = {}

    with i18n.recording_misses() as misses:
        for locale in i18n.LOCALES:
            client.cookies.set(COOKIE, locale)
            for name, path in pages.items():
                page = await client.get(path, headers=html)
                seen[(locale, name)] = (page.status_code, f'<html lang="{i18n.html_lang(locale)}">' in page.text)
    client.cookies.clear()

    assert seen == dict.fromkeys(((locale, name) for locale in i18n.LOCALES for name in pages), (200, True))
    assert sorted(misses) == []


async def test_an_unconfirmed_registrations_letter_is_refused_in_spanish(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    unpaid = await registration_of(client, settings, catalog, pay=False, email="sin-pagar@example.org")

    refused = await client.post(_url(unpaid), json=PASSPORT, headers={**_secret(unpaid), "Accept-Language": "es"})

    assert (refused.status_code, refused.json()["code"], refused.json()["detail"]) == (
        409,
        "not_confirmed",
        "la inscripción está en estado «reservada»: las cartas son para inscripciones confirmadas",
    )
