"""The organizers' letter page: the list by status without passport data, the passport data shown for one letter
(audited), and the issue, refuse and revoke forms, with a refusal's missing reason named on the page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from podium.audit_models import AuditEntry
from podium.settings import Settings
from tests.asgi_client import Client
from tests.page_forms import csrf_of
from tests.registration.factories import CatalogFixture, db_session_for
from tests.registration.letters.conftest import NUMBER, PASSPORT, registration_of

HTML = {"Accept": "text/html"}


async def _views(settings: Settings, registration_id: str) -> int:
    async with db_session_for(settings) as db_session:
        count = await db_session.scalar(
            select(func.count()).where(
                AuditEntry.entity_id == UUID(registration_id), AuditEntry.action == "letter_passport_viewed"
            )
        )
    return count or 0


async def test_organizer_reviews_letters_on_the_page(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    who = {**organizer, **HTML}
    base = f"/organizer/events/{catalog.slug}/letters"
    await client.put(f"/api/events/{catalog.slug}/letters/settings", json={"review_first": True}, headers=organizer)
    first = await registration_of(client, settings, catalog, email="page-first@example.org")
    second = await registration_of(client, settings, catalog, email="page-second@example.org")
    headers: list[dict[str, Any]] = [{"X-Registration-Secret": r["secret"]} for r in (first, second)]
    one = (await client.post(f"/api/registrations/{first['id']}/letter", json=PASSPORT, headers=headers[0])).json()
    two = (await client.post(f"/api/registrations/{second['id']}/letter", json=PASSPORT, headers=headers[1])).json()

    listing = await client.get(base, params={"status": "pending"}, headers=who)
    shown = await client.get(base, params={"show": one["id"]}, headers=who)
    token = csrf_of(listing.text)
    issued = await client.post(f"{base}/{one['id']}/approve", data={"_csrf_token": token}, headers=who)
    no_reason = await client.post(f"{base}/{two['id']}/reject", data={"_csrf_token": token, "note": ""}, headers=who)
    refused = await client.post(
        f"{base}/{two['id']}/reject", data={"_csrf_token": token, "note": "Not registered"}, headers=who
    )
    revoked = await client.post(f"{base}/{one['id']}/revoke", data={"_csrf_token": token}, headers=who)
    after = await client.get(base, headers=who)

    assert listing.status_code == 200 and "page-first@example.org" in listing.text and one["code"] in listing.text
    assert NUMBER not in listing.text and "1991-03-14" not in listing.text
    assert shown.status_code == 200 and NUMBER in shown.text and "Nigeria" in shown.text
    assert shown.headers["cache-control"] == "private, no-store"
    assert await _views(settings, first["id"]) == 1
    assert (issued.status_code, refused.status_code, revoked.status_code) == (303, 303, 303)
    assert no_reason.status_code == 422 and "attendee is told" in no_reason.text
    statuses = {
        r["id"]: r["status"]
        for r in (await client.get(f"/api/events/{catalog.slug}/letters", headers=organizer)).json()
    }
    assert (statuses[one["id"]], statuses[two["id"]]) == ("revoked", "rejected")
    assert NUMBER not in after.text


async def test_staff_and_the_public_get_no_letter_page(
    client: Client, catalog: CatalogFixture, staff: dict[str, str]
) -> None:
    base = f"/organizer/events/{catalog.slug}/letters"

    by_staff = await client.get(base, headers={**staff, **HTML})
    anonymous = await client.get(base, headers=HTML)

    assert by_staff.status_code == 403
    assert anonymous.status_code in (401, 303)
