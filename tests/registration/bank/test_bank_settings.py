"""An event's bank transfer settings: organizers only, IBAN and BIC checked, 422 naming the field."""

from __future__ import annotations

import re
from typing import Any

from podium.settings import Settings
from registration.bank.settings import bic_is_valid, iban_is_valid
from tests.asgi_client import Client
from tests.page_forms import csrf_of
from tests.registration.bank.helpers import BANK, BIC
from tests.registration.factories import build_catalog, db_session_for


async def _slug(settings: Settings) -> str:
    async with db_session_for(settings) as db_session:
        return (await build_catalog(db_session)).slug


def test_iban_and_bic_checks_accept_real_ones_and_refuse_typos() -> None:
    results = [
        iban_is_valid("DE89370400440532013000"),
        iban_is_valid("GB82WEST12345698765432"),
        iban_is_valid("DE89370400440532013001"),
        iban_is_valid("DE8937"),
        bic_is_valid("COBADEFFXXX"),
        bic_is_valid("DEUTDEFF"),
        bic_is_valid("DEUT1EFF"),
        bic_is_valid("DEUTDEF"),
    ]

    assert results == [True, True, False, False, True, True, False, False]


async def test_settings_default_to_disabled_and_save_compacted(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)

    before = (await client.get(f"/api/events/{slug}/bank-transfer", headers=organizer)).json()
    saved = await client.put(f"/api/events/{slug}/bank-transfer", json=BANK, headers=organizer)
    after = (await client.get(f"/api/events/{slug}/bank-transfer", headers=organizer)).json()

    assert (before["enabled"], before["due_days"]) == (False, 14)
    assert saved.status_code == 200
    assert (after["enabled"], after["iban"], after["bic"]) == (True, "DE89370400440532013000", "COBADEFFXXX")


async def test_settings_refuse_a_bad_iban_and_bic_naming_both_fields(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)
    body: dict[str, Any] = dict(BANK, iban="DE89 3704 0044 0532 0130 01", bic="COBA1EFF")

    response = await client.put(f"/api/events/{slug}/bank-transfer", json=body, headers=organizer)
    stored = (await client.get(f"/api/events/{slug}/bank-transfer", headers=organizer)).json()

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["iban", "bic"]
    assert stored["enabled"] is False


async def test_settings_need_an_iban_to_enable_and_an_organizer(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)

    no_iban = await client.put(f"/api/events/{slug}/bank-transfer", json=dict(BANK, iban=""), headers=organizer)
    anonymous = await client.put(f"/api/events/{slug}/bank-transfer", json=BANK)
    bad_days = await client.put(f"/api/events/{slug}/bank-transfer", json=dict(BANK, due_days=0), headers=organizer)

    assert (no_iban.status_code, no_iban.json()["errors"][0]["field"]) == (422, "iban")
    assert anonymous.status_code == 401
    assert bad_days.status_code == 422


async def test_organizer_sets_bank_transfer_on_the_page_and_a_bad_iban_is_shown_on_its_field(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug = await _slug(settings)
    who = {**organizer, "Accept": "text/html"}
    url = f"/organizer/events/{slug}/bank-transfer"
    token = csrf_of((await client.get(url, headers=who)).text)
    form = {"_csrf_token": token, **{k: str(v) for k, v in BANK.items()}, "enabled": "on"}

    bad = await client.post(url, data={**form, "iban": "DE89 3704 0044 0532 0130 01"}, headers=who)
    too_soon = await client.post(url, data={**form, "due_days": "0"}, headers=who)
    after_bad = (await client.get(f"/api/events/{slug}/bank-transfer", headers=organizer)).json()
    saved = await client.post(url, data=form, headers=who)
    page = await client.get(saved.headers["location"], headers=who)
    stored = (await client.get(f"/api/events/{slug}/bank-transfer", headers=organizer)).json()
    nav = await client.get(f"/organizer/events/{slug}", headers=who)

    assert bad.status_code == 422
    assert re.search(r'id="f-iban"[^>]*aria-invalid="true"', bad.text)
    assert 'id="e-iban">Not a valid IBAN (check the digits).' in bad.text
    assert (too_soon.status_code, 'id="e-due_days"' in too_soon.text) == (422, True)
    assert 'value="DE89 3704 0044 0532 0130 01"' in bad.text  # what was typed stays in the form
    assert after_bad["enabled"] is False
    assert (saved.status_code, saved.headers["location"]) == (303, f"{url}?saved=1")
    assert 'id="settings-saved"' in page.text
    assert 'value="DE89 3704 0044 0532 0130 00"' in page.text
    assert (stored["enabled"], stored["iban"], stored["bic"], stored["due_days"]) == (
        True,
        "DE89370400440532013000",
        BIC,
        14,
    )
    assert f'href="{url}"' in nav.text


async def test_staff_and_the_public_get_no_bank_settings_page(
    settings: Settings, client: Client, staff: dict[str, str]
) -> None:
    slug = await _slug(settings)
    url = f"/organizer/events/{slug}/bank-transfer"

    by_staff = await client.get(url, headers={**staff, "Accept": "text/html"})
    anonymous = await client.get(url, headers={"Accept": "text/html"})

    assert by_staff.status_code == 403
    assert anonymous.status_code in (401, 303)
