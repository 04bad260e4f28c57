"""Problem+json in the caller's language: the title and the detail a person reads are translated, the ``code``,
``type`` and ``field`` a program reads never are."""

from __future__ import annotations

import pytest

from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        ("es", "Datos no válidos", "código promocional desconocido"),
        ("zh-CN", "输入无效", "优惠码无效。"),
        ("en", "Invalid input", "unknown promo code"),
    ],
)
async def test_a_refusal_speaks_the_callers_language_and_keeps_its_code(
    client: Client, catalog: CatalogFixture, language: str, title: str, detail: str
) -> None:
    body = order_body(attendee(), promo_code="NOPE")

    response = await client.post(f"/api/events/{catalog.slug}/orders", json=body, headers={"Accept-Language": language})

    problem = response.json()
    assert response.status_code == 422
    assert (problem["title"], problem["detail"]) == (title, detail)
    assert (problem["code"], problem["field"], problem["type"]) == (
        "unknown_promo_code",
        "promo_code",
        "urn:podium:problem:unknown_promo_code",
    )
    assert problem["errors"] == [{"field": "promo_code", "message": detail}]


async def test_a_missing_page_is_told_in_french(client: Client) -> None:
    response = await client.get("/api/events/no-such-event", headers={"Accept-Language": "fr-FR"})

    assert (response.status_code, response.json()["title"], response.json()["code"]) == (
        404,
        "Introuvable",
        "not_found",
    )


async def test_a_form_refusal_is_a_translated_sentence(client: Client, catalog: CatalogFixture) -> None:
    client.cookies.clear()
    client.cookies.set("podium_locale", "pt_BR")
    page = await client.get(f"/events/{catalog.slug}/register", headers={"Accept": "text/html"})
    token = client.cookies["podium_csrf"]
    form = {
        "_csrf_token": token,
        "people": "1",
        "a0-category": "member",
        "a0-first_name": "Ada",
        "a0-last_name": "Lovelace",
        "a0-email": "ada-pt@example.org",
        "a0-country": "US",
        "a0-member_number": "M-12345",
        "a0-q-dietary": "none",
        "buyer_name": "Ada Lovelace",
        "buyer_email": "ada-pt@example.org",
        "promo_code": "NOPE",
    }

    response = await client.post(f"/events/{catalog.slug}/register", data=form, headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert response.status_code == 422, response.text[:500]
    assert "Código promocional desconhecido." in response.text
