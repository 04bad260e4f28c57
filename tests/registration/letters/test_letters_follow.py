"""Letters follow their registration: cancelling or transferring it revokes its issued letter once (audited, the
person the letter named is mailed once, the public page says why) and withdraws a pending one without a mail; a
transferred registration's new holder asks for a letter of their own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from podium.audit_models import AuditEntry
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.links.tokens import registration_secret
from registration.models import VisaLetter
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, db_session_for, order_body, outbox_mails
from tests.registration.letters.conftest import PASSPORT

NEWCOMER = {"email": "lise.letter@example.org", "first_name": "Lise", "last_name": "Meitner", "country": "AT"}


async def _paid_order(client: Client, catalog: CatalogFixture, email: str) -> dict[str, Any]:
    body = order_body(attendee(email, category="non-member", member_number=None, first_name="Emmy"))
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=body)).json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code == 200, paid.text
    return dict(order)


def _registration(order: dict[str, Any]) -> str:
    return str(order["registrations"][0]["id"])


def _holder(settings: Settings, registration_id: str, version: int = 1) -> dict[str, str]:
    return {"X-Registration-Secret": registration_secret(settings.secret_key, UUID(registration_id), version)}


async def _ask(client: Client, settings: Settings, registration_id: str, version: int = 1) -> Any:
    holder = _holder(settings, registration_id, version)
    return await client.post(f"/api/registrations/{registration_id}/letter", json=PASSPORT, headers=holder)


async def _letter_mails(settings: Settings, to: str) -> list[tuple[str, str]]:
    async with db_session_for(settings) as db_session:
        mails = await outbox_mails(
            db_session, OutboxMessage.template.startswith("letter_"), OutboxMessage.to_address == to
        )
    return [(row.template, rendered.text) for row, rendered in mails]


async def _letter_audits(settings: Settings, registration_id: str) -> list[str]:
    async with db_session_for(settings) as db_session:
        notes = await db_session.scalars(
            select(AuditEntry.note)
            .where(AuditEntry.entity_id == UUID(registration_id), AuditEntry.action == "visa_letter")
            .order_by(AuditEntry.created_at)
        )
        return list(notes)


async def test_cancelling_the_registration_revokes_its_letter_once(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    order = await _paid_order(client, catalog, "cancel.letter@example.org")
    registration = _registration(order)
    letter = (await _ask(client, settings, registration)).json()
    secret = {"X-Order-Secret": order["secret"]}

    cancelled = await client.post(f"/api/orders/{order['id']}/registrations/{registration}/cancel", headers=secret)
    again = await client.post(f"/api/orders/{order['id']}/registrations/{registration}/cancel", headers=secret)
    public = await client.get(f"/letters/{letter['code']}")

    assert cancelled.status_code == 200, cancelled.text
    assert again.status_code == 409
    assert "<strong>Revoked</strong>" in public.text
    assert '<dd id="letter-reason">the registration was cancelled</dd>' in public.text
    async with db_session_for(settings) as db_session:
        row = await db_session.get(VisaLetter, UUID(letter["id"]))
        assert row is not None
        assert (row.status, row.revoked_because) == ("revoked", "cancelled")
    mails = await _letter_mails(settings, "cancel.letter@example.org")
    assert [template for template, _ in mails] == ["letter_issued", "letter_revoked"]
    assert f"(code {letter['code']}) is no longer valid: the registration was cancelled." in mails[1][1]
    audits = await _letter_audits(settings, registration)
    assert audits[-1] == f"visa letter revoked: the registration was cancelled ({letter['code']})"
    assert len(audits) == 2  # requested (issued at once), revoked


async def test_cancelled_letter_reason_is_shown_in_the_visitors_language(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    order = await _paid_order(client, catalog, "cancel.es@example.org")
    registration = _registration(order)
    letter = (await _ask(client, settings, registration)).json()
    await client.post(f"/api/orders/{order['id']}/cancel", headers={"X-Order-Secret": order["secret"]})

    page = await client.get(f"/letters/{letter['code']}", headers={"Accept-Language": "es"})

    assert '<dd id="letter-reason">se canceló la inscripción</dd>' in page.text


async def test_transferring_the_registration_revokes_the_previous_holders_letter(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await _paid_order(client, catalog, "emmy.letter@example.org")
    registration = _registration(order)
    old = (await _ask(client, settings, registration)).json()

    moved = await client.post(
        f"/api/events/{catalog.slug}/registrations/{registration}/transfer", json=NEWCOMER, headers=organizer
    )
    public = await client.get(f"/letters/{old['code']}")
    newcomer = _holder(settings, registration, 2)
    newcomer_sees = await client.get(f"/api/registrations/{registration}/letter", headers=newcomer)
    own = await _ask(client, settings, registration, version=2)

    assert moved.status_code == 200, moved.text
    assert "<strong>Revoked</strong>" in public.text and "Emmy Lovelace" in public.text and "Lise" not in public.text
    assert "the registration was transferred to someone else" in public.text
    assert newcomer_sees.status_code == 404
    assert own.status_code == 201, own.text
    assert own.json()["status"] == "issued" and own.json()["code"] != old["code"]
    new_public = await client.get(f"/letters/{own.json()['code']}")
    assert "Lise Meitner" in new_public.text and "<strong>Valid</strong>" in new_public.text
    old_mails = await _letter_mails(settings, "emmy.letter@example.org")
    assert [template for template, _ in old_mails] == ["letter_issued", "letter_revoked"]
    assert "Your page" not in old_mails[1][1]  # their link died with the transfer
    new_mails = await _letter_mails(settings, NEWCOMER["email"])
    assert [template for template, _ in new_mails] == ["letter_issued"]


async def test_cancelling_withdraws_a_pending_letter_without_a_mail(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    await client.put(f"/api/events/{catalog.slug}/letters/settings", json={"review_first": True}, headers=organizer)
    order = await _paid_order(client, catalog, "pending.letter@example.org")
    registration = _registration(order)
    letter = (await _ask(client, settings, registration)).json()

    await client.post(f"/api/orders/{order['id']}/cancel", headers={"X-Order-Secret": order["secret"]})
    public = await client.get(f"/letters/{letter['code']}")
    approve = await client.post(
        f"/api/events/{catalog.slug}/letters/{letter['id']}/approve", json={}, headers=organizer
    )

    await client.put(f"/api/events/{catalog.slug}/letters/settings", json={"review_first": False}, headers=organizer)
    assert letter["status"] == "pending"
    assert public.status_code == 404
    assert approve.status_code == 409 and approve.json()["code"] == "not_pending"
    assert await _letter_mails(settings, "pending.letter@example.org") == []
    async with db_session_for(settings) as db_session:
        count = await db_session.scalar(
            select(func.count()).where(
                VisaLetter.registration_id == UUID(registration), VisaLetter.status == "rejected"
            )
        )
    assert count == 1
