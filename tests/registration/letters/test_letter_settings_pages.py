"""The organizers' letter settings page: the rules, the signatory's name and title and the signature image are set
without the API, bad values are named on the page and change nothing, and only organizers reach it."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from podium.settings import Settings
from registration.models import LetterSettings
from tests.asgi_client import Client
from tests.page_forms import csrf_of
from tests.registration.factories import CatalogFixture, db_session_for

HTML = {"Accept": "text/html"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 60), "white").save(out, format="PNG")
    return out.getvalue()


async def _stored(settings: Settings, event_id: object) -> tuple[bool, bool, int, str, str, bool] | None:
    async with db_session_for(settings) as db_session:
        row = (
            await db_session.execute(
                select(
                    LetterSettings.review_first,
                    LetterSettings.allow_unconfirmed,
                    LetterSettings.erase_after_days,
                    LetterSettings.signatory,
                    LetterSettings.signatory_title,
                    LetterSettings.signature_png.is_not(None),
                ).where(LetterSettings.event_id == event_id)
            )
        ).first()
    return None if row is None else (row[0], row[1], row[2], row[3], row[4], bool(row[5]))


async def test_organizer_sets_the_letter_rules_and_signature_on_the_page(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    who = {**organizer, **HTML}
    base = f"/organizer/events/{catalog.slug}/letters"
    page = await client.get(f"{base}/settings", headers=who)
    token = csrf_of(page.text)
    form = {
        "_csrf_token": token,
        "review_first": "on",
        "erase_after_days": "45",
        "signatory": "  Grace   Hopper ",
        "signatory_title": "Chair, Local Organizing Committee",
    }

    saved = await client.post(f"{base}/settings", data=form, headers=who)
    signed = await client.post(
        f"{base}/signature",
        data={"_csrf_token": token},
        files={"signature": ("sig.png", _png(), "image/png")},
        headers=who,
    )
    after = await client.get(f"{base}/settings", headers=who)

    assert page.status_code == 200 and 'value="30"' in page.text
    assert (saved.status_code, saved.headers["location"]) == (303, f"{base}/settings?saved=rules")
    assert signed.status_code == 303, signed.text
    assert await _stored(settings, catalog.event_id) == (
        True,
        False,
        45,
        "Grace Hopper",
        "Chair, Local Organizing Committee",
        True,
    )
    assert 'value="Chair, Local Organizing Committee"' in after.text
    assert "A signature image is printed on the letters." in after.text
    await client.put(f"{base.replace('/organizer', '/api')}/settings", json={"review_first": False}, headers=organizer)


async def test_bad_letter_settings_are_named_on_the_page_and_change_nothing(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    who = {**organizer, **HTML}
    base = f"/organizer/events/{catalog.slug}/letters"
    token = csrf_of((await client.get(f"{base}/settings", headers=who)).text)
    before = await _stored(settings, catalog.event_id)

    days = await client.post(
        f"{base}/settings", data={"_csrf_token": token, "erase_after_days": "forever"}, headers=who
    )
    too_many = await client.post(
        f"{base}/settings", data={"_csrf_token": token, "erase_after_days": "9999"}, headers=who
    )
    long_title = await client.post(
        f"{base}/settings",
        data={"_csrf_token": token, "erase_after_days": "10", "signatory_title": "x" * 201},
        headers=who,
    )
    gif = await client.post(
        f"{base}/signature",
        data={"_csrf_token": token},
        files={"signature": ("s.gif", b"GIF89a" + b"\0" * 40, "image/gif")},
        headers=who,
    )
    nothing = await client.post(f"{base}/signature", data={"_csrf_token": token}, headers=who)

    assert days.status_code == 422 and 'id="e-erase_after_days"' in days.text and 'value="forever"' in days.text
    assert too_many.status_code == 422 and 'id="e-erase_after_days"' in too_many.text
    assert long_title.status_code == 422 and 'id="e-signatory_title"' in long_title.text
    assert gif.status_code == 422 and 'id="e-signature"' in gif.text
    assert nothing.status_code == 422 and 'id="e-signature"' in nothing.text
    assert await _stored(settings, catalog.event_id) == before


async def test_staff_and_the_public_get_no_letter_settings_page(
    client: Client, catalog: CatalogFixture, staff: dict[str, str]
) -> None:
    url = f"/organizer/events/{catalog.slug}/letters/settings"

    by_staff = await client.get(url, headers={**staff, **HTML})
    anonymous = await client.get(url, headers=HTML)

    assert by_staff.status_code == 403
    assert anonymous.status_code in (401, 303)
