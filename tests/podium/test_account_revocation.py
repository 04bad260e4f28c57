"""Taking access back: a deactivated account's logins end at once, a password change ends every other login,
logins are listed and revoked by their holder (and by organizers), and the account pages do the same."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from podium.auth import accounts, services
from podium.auth.models import AuthToken, User
from podium.auth.schemas import UserCreate
from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import db_session_for

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-new-and-longer-secret"
HTML = {"Accept": "text/html"}


@pytest.fixture
def client(client: Client) -> Client:
    """The client keeps the session cookie like a browser, so it also says, like a browser on our own pages,
    where its requests come from (a cookie-authenticated change from nowhere is refused: podium/csrf.py)."""
    client.headers["Sec-Fetch-Site"] = "same-origin"
    return client


async def make_user(settings: Settings, role: str = "staff") -> str:
    email = f"{role}-{secrets.token_hex(4)}@podium.test"
    async with db_session_for(settings) as db_session:
        await services.create_user(
            db_session,
            UserCreate(
                email=email, display_name="Sam", password=PASSWORD, role="organizer" if role == "organizer" else "staff"
            ),
        )
        await db_session.commit()
    return email


async def login(client: Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def user_id_of(settings: Settings, email: str) -> str:
    async with db_session_for(settings) as db_session:
        return str(await db_session.scalar(select(User.id).where(User.email == email)))


async def test_a_deactivated_users_token_and_cookie_answer_401_at_once(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    email = await make_user(settings)
    token = (await login(client, email)).json()["token"]  # the client keeps this login's cookie too
    api_token = (await login(client, email)).json()["token"]
    user_id = await user_id_of(settings, email)
    assert (await client.get("/api/auth/me")).status_code == 200

    response = await client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=organizer)

    assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert (await client.get("/api/auth/me")).status_code == 401
    assert (await client.get("/api/auth/me", headers=bearer(api_token))).status_code == 401
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 401
    assert (await login(client, email)).status_code == 401
    async with db_session_for(settings) as db_session:
        live = await db_session.scalars(
            select(AuthToken.id).where(AuthToken.user_id == response.json()["id"], AuthToken.revoked_at.is_(None))
        )
        assert live.all() == []


async def test_a_reactivated_user_logs_in_again_but_old_tokens_stay_dead(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    email = await make_user(settings)
    old = (await login(client, email)).json()["token"]
    user_id = await user_id_of(settings, email)
    await client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=organizer)

    back = await client.patch(f"/api/users/{user_id}", json={"is_active": True}, headers=organizer)

    assert back.json()["is_active"] is True
    assert (await client.get("/api/auth/me", headers=bearer(old))).status_code == 401
    fresh = (await login(client, email)).json()["token"]
    assert (await client.get("/api/auth/me", headers=bearer(fresh))).json()["email"] == email


async def test_organizers_change_role_and_name_and_bad_changes_are_refused(
    client: Client, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    email = await make_user(settings)
    token = (await login(client, email)).json()["token"]
    user_id = await user_id_of(settings, email)

    promoted = await client.patch(
        f"/api/users/{user_id}", json={"role": "organizer", "display_name": "  Sam Organizer "}, headers=organizer
    )
    by_staff = await client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=staff)
    bad_role = await client.patch(f"/api/users/{user_id}", json={"role": "admin"}, headers=organizer)
    unknown_field = await client.patch(f"/api/users/{user_id}", json={"password": "x" * 20}, headers=organizer)
    empty_name = await client.patch(f"/api/users/{user_id}", json={"display_name": ""}, headers=organizer)
    nobody = await client.patch(
        f"/api/users/{'0' * 8}-0000-0000-0000-{'0' * 12}", json={"is_active": False}, headers=organizer
    )

    assert (promoted.json()["role"], promoted.json()["display_name"]) == ("organizer", "Sam Organizer")
    assert (await client.get("/api/auth/me", headers=bearer(token))).json()["role"] == "organizer"
    assert by_staff.status_code == 403
    assert (bad_role.status_code, bad_role.json()["field"]) == (422, "role")
    assert (unknown_field.status_code, unknown_field.json()["field"]) == (422, "password")
    assert (empty_name.status_code, empty_name.json()["field"]) == (422, "display_name")
    assert (nobody.status_code, nobody.json()["field"]) == (404, "user_id")


async def test_a_password_change_ends_every_other_login_and_keeps_this_one(client: Client, settings: Settings) -> None:
    email = await make_user(settings)
    current = (await login(client, email)).json()["token"]
    other = (await login(client, email)).json()["token"]
    client.cookies.clear()

    changed = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(current),
    )

    assert changed.status_code == 204
    assert (await client.get("/api/auth/me", headers=bearer(current))).json()["email"] == email
    assert (await client.get("/api/auth/me", headers=bearer(other))).status_code == 401
    assert (await login(client, email, PASSWORD)).status_code == 401
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200


async def test_a_password_change_needs_the_current_password_and_a_long_new_one(
    client: Client, settings: Settings
) -> None:
    email = await make_user(settings)
    token = (await login(client, email)).json()["token"]
    other = (await login(client, email)).json()["token"]
    client.cookies.clear()

    wrong = await client.post(
        "/api/auth/password", json={"current_password": "not-it", "new_password": NEW_PASSWORD}, headers=bearer(token)
    )
    short = await client.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=bearer(token)
    )
    anonymous = await client.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert (wrong.status_code, wrong.json()["field"]) == (422, "current_password")
    assert (short.status_code, short.json()["field"]) == (422, "new_password")
    assert anonymous.status_code == 401
    assert (await client.get("/api/auth/me", headers=bearer(other))).status_code == 200
    assert (await login(client, email, PASSWORD)).status_code == 200


async def test_guessing_the_current_password_with_a_stolen_session_is_cut_off(
    client: Client, settings: Settings
) -> None:
    email = await make_user(settings)
    token = (await login(client, email)).json()["token"]
    client.cookies.clear()
    guesses, window = accounts.PASSWORD_CHECKS

    answers = [
        await client.post(
            "/api/auth/password",
            json={"current_password": f"guess-{i}", "new_password": NEW_PASSWORD},
            headers=bearer(token),
        )
        for i in range(guesses + 1)
    ]
    right = await client.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=bearer(token)
    )

    assert [a.status_code for a in answers] == [422] * guesses + [429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= window
    assert right.status_code == 429  # even the right one waits: the guesser can't tell
    assert (await login(client, email, PASSWORD)).status_code == 200


async def test_the_token_list_shows_own_logins_only_and_never_a_secret(client: Client, settings: Settings) -> None:
    mine, theirs = await make_user(settings), await make_user(settings)
    current = (await login(client, mine)).json()["token"]
    await login(client, mine)
    their_token = (await login(client, theirs)).json()["token"]
    client.cookies.clear()
    their_ids = {t["id"] for t in (await client.get("/api/auth/tokens", headers=bearer(their_token))).json()}

    listed = await client.get("/api/auth/tokens", headers=bearer(current))

    tokens = listed.json()
    assert len(tokens) == 2 and not their_ids & {t["id"] for t in tokens}
    assert sorted(t["current"] for t in tokens) == [False, True]
    assert {tuple(sorted(t)) for t in tokens} == {("created_at", "current", "expires_at", "id")}
    assert current not in listed.text and services.hash_token(current) not in listed.text


async def test_revoking_a_token_ends_it_and_another_users_token_is_404(client: Client, settings: Settings) -> None:
    mine, theirs = await make_user(settings), await make_user(settings)
    current = (await login(client, mine)).json()["token"]
    other = (await login(client, mine)).json()["token"]
    their_token = (await login(client, theirs)).json()["token"]
    client.cookies.clear()
    [their_id] = [t["id"] for t in (await client.get("/api/auth/tokens", headers=bearer(their_token))).json()]
    listed = (await client.get("/api/auth/tokens", headers=bearer(current))).json()
    [other_id] = [t["id"] for t in listed if not t["current"]]
    [current_id] = [t["id"] for t in listed if t["current"]]

    revoked = await client.delete(f"/api/auth/tokens/{other_id}", headers=bearer(current))
    foreign = await client.delete(f"/api/auth/tokens/{their_id}", headers=bearer(current))

    assert revoked.status_code == 204
    assert (await client.get("/api/auth/me", headers=bearer(other))).status_code == 401
    assert (await client.get("/api/auth/me", headers=bearer(current))).status_code == 200
    assert (foreign.status_code, foreign.json()["field"]) == (404, "token_id")
    assert (await client.get("/api/auth/me", headers=bearer(their_token))).status_code == 200
    assert [t["id"] for t in (await client.get("/api/auth/tokens", headers=bearer(current))).json()] == [current_id]


async def test_organizers_list_and_revoke_any_users_tokens(
    client: Client, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    email = await make_user(settings)
    first = (await login(client, email)).json()["token"]
    second = (await login(client, email)).json()["token"]
    client.cookies.clear()
    user_id = await user_id_of(settings, email)

    listed = await client.get(f"/api/users/{user_id}/tokens", headers=organizer)
    one = await client.delete(f"/api/users/{user_id}/tokens/{listed.json()[0]['id']}", headers=organizer)
    by_staff = await client.get(f"/api/users/{user_id}/tokens", headers=staff)
    left = (await client.get(f"/api/users/{user_id}/tokens", headers=organizer)).json()
    everything = await client.delete(f"/api/users/{user_id}/tokens", headers=organizer)

    assert len(listed.json()) == 2 and not any(t["current"] for t in listed.json())
    assert one.status_code == 204 and len(left) == 1
    assert by_staff.status_code == 403
    assert everything.status_code == 204
    assert [(await client.get("/api/auth/me", headers=bearer(t))).status_code for t in (first, second)] == [401, 401]
    assert (await login(client, email)).status_code == 200  # the account itself stays active


async def _csrf(page: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def _form_post(
    client: Client, page_url: str, action: str, fields: dict[str, str], **headers: Any
) -> httpx.Response:
    """Post a page's form as a browser does: first open the page, then send its CSRF field with the form."""
    page = await client.get(page_url, headers={**HTML, **headers})
    assert page.status_code == 200, page.text
    token = await _csrf(page.text)
    return await client.post(action, data={**fields, "_csrf_token": token}, headers={**HTML, **headers})


async def test_the_account_page_changes_the_password_and_ends_other_sessions(
    client: Client, settings: Settings
) -> None:
    email = await make_user(settings)
    api_token = (await login(client, email)).json()["token"]
    await login(client, email)  # the page session: the client keeps its cookie

    mismatch = await _form_post(
        client,
        "/account",
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "something-else-entirely"},
    )
    wrong = await _form_post(
        client,
        "/account",
        "/account/password",
        {"current_password": "nope", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    changed = await _form_post(
        client,
        "/account",
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    assert mismatch.status_code == 422 and "The two new passwords differ." in mismatch.text
    assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.text
    assert changed.status_code == 303 and changed.headers["location"].startswith("/account?notice=")
    page = await client.get("/account", headers=HTML)
    assert page.status_code == 200 and "(this session)" in page.text
    assert (await client.get("/api/auth/me", headers=bearer(api_token))).status_code == 401


async def test_the_organizer_users_page_deactivates_an_account(
    client: Client, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    email = await make_user(settings)
    token = (await login(client, email)).json()["token"]
    client.cookies.clear()
    user_id = await user_id_of(settings, email)

    saved = await _form_post(client, "/organizer/users", f"/organizer/users/{user_id}", {"role": "staff"}, **organizer)
    staff_page = await client.get("/organizer/users", headers={**HTML, **staff})

    assert saved.status_code == 303, saved.text
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 401
    listing = await client.get("/organizer/users", headers={**HTML, **organizer})
    assert email in listing.text and "deactivated" in listing.text
    assert staff_page.status_code == 403
