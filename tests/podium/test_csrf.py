"""Cross-site requests (podium/csrf.py): the session cookie no longer lets another site's page change anything, on
the API or the pages; bearer clients and anonymous API callers are untouched; JSON routes take only JSON."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from sqlalchemy import func, select

from podium.auth.middleware import SESSION_COOKIE
from podium.auth.models import User
from podium.settings import Settings
from registration.models import Order
from tests.asgi_client import BASE_URL, Client
from tests.registration.factories import CatalogFixture, build_catalog, db_session_for, order_body

HTML = {"Accept": "text/html"}
# What browsers send from a page elsewhere: another site, another port of this host, a sibling subdomain.
FOREIGN = [
    pytest.param({"Origin": "https://evil.example"}, id="other-site-origin"),
    pytest.param({"Origin": "http://testserver.local:8001"}, id="other-port-origin"),
    pytest.param({"Origin": "http://admin.testserver.local"}, id="sibling-subdomain-origin"),
    pytest.param({"Sec-Fetch-Site": "same-site", "Origin": "http://testserver.local:8001"}, id="same-site-fetch"),
    pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site-fetch"),
]


def new_user() -> dict[str, str]:
    return {
        "email": f"made-{secrets.token_hex(5)}@podium.test",
        "display_name": "Mallory",
        "password": "a-long-enough-password",
        "role": "organizer",
    }


async def users_with(settings: Settings, email: str) -> int:
    async with db_session_for(settings) as db_session:
        return (await db_session.scalar(select(func.count()).select_from(User).where(User.email == email))) or 0


async def orders_of(settings: Settings, buyer_email: str) -> int:
    async with db_session_for(settings) as db_session:
        query = select(func.count()).select_from(Order).where(Order.buyer_email == buyer_email)
        return (await db_session.scalar(query)) or 0


@pytest.fixture
def cookie_client(client: Client, organizer_token: str) -> Client:
    """A browser logged in as an organizer: the session cookie, no Authorization header."""
    client.cookies.set(SESSION_COOKIE, organizer_token)
    return client


async def csrf_token(client: Client) -> str:
    """The token a page visit leaves in the ``podium_csrf`` cookie, as a page's script would send it."""
    page = await client.get("/login", headers=HTML)
    assert page.status_code == 200
    return client.cookies["podium_csrf"]


@pytest.mark.parametrize("origin", FOREIGN)
async def test_cookie_post_from_another_origin_is_refused(
    cookie_client: Client, settings: Settings, origin: dict[str, str]
) -> None:
    body = new_user()

    response = await cookie_client.post("/api/users", json=body, headers=origin)

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "csrf_failed"
    assert await users_with(settings, body["email"]) == 0


async def test_cookie_post_from_another_origin_is_refused_even_with_the_token(
    cookie_client: Client, settings: Settings
) -> None:
    token = await csrf_token(cookie_client)
    body = new_user()

    response = await cookie_client.post(
        "/api/users", json=body, headers={"Origin": "http://testserver.local:8001", "X-CSRFToken": token}
    )

    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")
    assert await users_with(settings, body["email"]) == 0


async def test_the_text_plain_form_attack_is_refused(cookie_client: Client, settings: Settings) -> None:
    """The reported attack: a form on another port posting text/plain "JSON" with the organizer's cookie."""
    body = new_user()

    response = await cookie_client.post(
        "/api/users",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "text/plain", "Origin": "http://testserver.local:8001", "Sec-Fetch-Site": "same-site"},
    )

    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")
    assert await users_with(settings, body["email"]) == 0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-origin-no-token"),
        pytest.param({"Origin": "null"}, id="null-origin"),
        pytest.param({"X-CSRFToken": "0" * 128}, id="forged-token"),
        pytest.param({b"X-CSRFToken": ("é" * 128).encode("latin-1")}, id="not-ascii-token"),
    ],
)
async def test_cookie_post_without_a_verdict_needs_the_token(
    cookie_client: Client, settings: Settings, headers: dict[str, str] | dict[bytes, bytes]
) -> None:
    await csrf_token(cookie_client)  # the cookie half is there; the header half is missing or wrong
    body = new_user()

    response = await cookie_client.post("/api/users", json=body, headers=headers)

    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        403,
        "csrf_failed",
        "x-csrftoken",
    )
    assert await users_with(settings, body["email"]) == 0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": BASE_URL}, id="same-origin"),
        pytest.param({"Origin": "http://TESTSERVER.local:80"}, id="same-origin-spelled-differently"),
        pytest.param({"Origin": "http://127.0.0.1:8000"}, id="base-url-origin"),
        pytest.param({"Sec-Fetch-Site": "same-origin", "Origin": "null"}, id="same-origin-fetch"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="user-initiated"),
    ],
)
async def test_cookie_post_from_this_origin_works(
    cookie_client: Client, settings: Settings, headers: dict[str, str]
) -> None:
    body = new_user()

    response = await cookie_client.post("/api/users", json=body, headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["email"] == body["email"]
    assert await users_with(settings, body["email"]) == 1


async def test_cookie_post_with_the_csrf_token_works(cookie_client: Client, settings: Settings) -> None:
    token = await csrf_token(cookie_client)
    body = new_user()

    response = await cookie_client.post("/api/users", json=body, headers={"X-CSRFToken": token})

    assert response.status_code == 201, response.text
    assert await users_with(settings, body["email"]) == 1


async def test_bearer_client_needs_no_origin(client: Client, settings: Settings, organizer: dict[str, str]) -> None:
    body = new_user()

    response = await client.post("/api/users", json=body, headers=organizer)

    assert response.status_code == 201, response.text
    assert await users_with(settings, body["email"]) == 1


async def test_bearer_wins_over_a_cookie_of_another_site(
    cookie_client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    """A script elsewhere cannot add an Authorization header without a CORS preflight we never grant, so a
    bearer request is an API client's, whatever its Origin."""
    body = new_user()

    response = await cookie_client.post("/api/users", json=body, headers={**organizer, "Origin": "https://app.example"})

    assert response.status_code == 201, response.text
    assert await users_with(settings, body["email"]) == 1


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


@pytest.mark.parametrize("origin", FOREIGN)
async def test_anonymous_order_from_another_site_works(
    client: Client, settings: Settings, catalog: CatalogFixture, origin: dict[str, str]
) -> None:
    buyer = f"buyer-{secrets.token_hex(5)}@example.org"

    response = await client.post(
        f"/api/events/{catalog.slug}/orders",
        json=order_body(buyer_email=buyer),
        headers={**origin, "Idempotency-Key": secrets.token_hex(8)},
    )

    assert response.status_code == 201, response.text
    assert await orders_of(settings, buyer) == 1


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        pytest.param("text/plain", b'{"email": "x"}', id="text-plain"),
        pytest.param("application/x-www-form-urlencoded", b"email=x", id="form"),
        pytest.param(
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=e\r\n\r\nx\r\n--b--",
            id="multipart",
        ),
        pytest.param(None, b'{"email": "x"}', id="no-content-type"),
    ],
)
async def test_json_route_refuses_other_bodies(
    client: Client, settings: Settings, organizer: dict[str, str], content_type: str | None, content: bytes
) -> None:
    body = new_user()
    raw = content.replace(b'"x"', f'"{body["email"]}"'.encode()).replace(b"=x", f"={body['email']}".encode())
    headers = {**organizer, **({"Content-Type": content_type} if content_type else {})}

    response = await client.post("/api/users", content=raw, headers=headers)

    problem = response.json()
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (problem["code"], problem["field"]) == ("unsupported_media_type", "Content-Type")
    assert await users_with(settings, body["email"]) == 0


async def test_json_route_takes_json_suffix_types(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    body = new_user()
    raw = json.dumps(body)

    response = await client.post(
        "/api/users", content=raw.encode(), headers={**organizer, "Content-Type": "application/vnd.podium+json"}
    )

    assert response.status_code == 201, response.text
    assert await users_with(settings, body["email"]) == 1


async def test_json_route_without_a_body_gets_its_own_answer(client: Client, organizer: dict[str, str]) -> None:
    """No body and no Content-Type is not a smuggled form; Litestar's own validation answers it."""
    response = await client.post("/api/users", headers=organizer)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


async def test_csv_import_still_takes_csv(client: Client, organizer: dict[str, str], catalog: CatalogFixture) -> None:
    url = f"/api/events/{catalog.slug}/sessions.csv"
    exported = await client.get(url, headers=organizer)

    response = await client.post(url, content=exported.content, headers={**organizer, "Content-Type": "text/csv"})

    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (0, 0)


@pytest.mark.parametrize("origin", FOREIGN)
async def test_page_form_from_another_origin_is_refused(
    client: Client, origin: dict[str, str], organizer_token: str
) -> None:
    """Even with a valid token: a form posted from another origin is never one of ours."""
    token = await csrf_token(client)
    client.cookies.set(SESSION_COOKIE, organizer_token)

    response = await client.post(
        "/logout", data={"_csrf_token": token}, headers={**origin, **HTML}, follow_redirects=False
    )
    still_in = await client.get("/api/auth/me")

    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert still_in.status_code == 200  # the session was not ended


async def test_page_form_from_this_origin_still_needs_its_token(client: Client, organizer_token: str) -> None:
    token = await csrf_token(client)
    client.cookies.set(SESSION_COOKIE, organizer_token)
    same_origin: dict[str, Any] = {"Origin": BASE_URL, **HTML}

    without = await client.post("/logout", data={}, headers=same_origin, follow_redirects=False)
    with_token = await client.post("/logout", data={"_csrf_token": token}, headers=same_origin, follow_redirects=False)

    assert without.status_code == 403
    assert with_token.status_code in (302, 303)
