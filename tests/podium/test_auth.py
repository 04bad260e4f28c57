"""Logging in and out, tokens and cookies, the failed-login limit shared by every worker, accounts."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections import Counter

import httpx
import pytest
from sqlalchemy import update

from podium.auth import services
from podium.auth.controllers import attempt_login
from podium.auth.models import User
from podium.auth.schemas import UserCreate
from podium.errors import TooManyRequests
from podium.main.app import create_app
from podium.settings import Settings
from tests.asgi_client import Client, app_client
from tests.registration.factories import db_session_for

PASSWORD = "correct-horse-battery"


async def make_user(settings: Settings, role: str = "staff") -> str:
    email = f"{role}-{secrets.token_hex(4)}@podium.test"
    async with db_session_for(settings) as db_session:
        await services.create_user(
            db_session,
            UserCreate(
                email=email, display_name="Sam", password=PASSWORD, role="staff" if role == "staff" else "organizer"
            ),
        )
        await db_session.commit()
    return email


async def login(client: Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_login_gives_a_bearer_token_and_a_session_cookie(client: Client, settings: Settings) -> None:
    email = await make_user(settings)

    response = await login(client, email.upper())

    body = response.json()
    cookie = response.headers["set-cookie"]
    assert response.status_code == 200
    assert (body["token_type"], body["user"]["email"], body["user"]["role"]) == ("bearer", email, "staff")
    assert f"podium_session={body['token']}" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    by_bearer = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    by_cookie = await client.get("/api/auth/me")  # the client kept the cookie
    assert by_bearer.json()["email"] == email
    assert by_cookie.json()["email"] == email


async def test_logout_revokes_the_token(client: Client, settings: Settings) -> None:
    email = await make_user(settings)
    token = (await login(client, email)).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}

    logged_out = await client.post("/api/auth/logout", headers=bearer)
    client.cookies.clear()
    after = await client.get("/api/auth/me", headers=bearer)

    assert logged_out.status_code == 204
    assert after.status_code == 401


async def test_wrong_password_and_unknown_email_look_the_same(client: Client, settings: Settings) -> None:
    email = await make_user(settings)

    wrong = await login(client, email, "not-the-password")
    unknown = await login(client, "nobody@podium.test", "not-the-password")

    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert wrong.json()["detail"] == unknown.json()["detail"] == "the email or the password is wrong"
    assert wrong.headers["content-type"] == "application/problem+json"


async def test_deactivated_account_cannot_log_in(client: Client, settings: Settings) -> None:
    email = await make_user(settings)
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(User).where(User.email == email).values(is_active=False))
        await db_session.commit()

    response = await login(client, email)

    assert response.status_code == 401


async def test_failed_logins_lock_the_account_even_for_the_right_password(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=3)
    email = await make_user(settings)
    async with app_client(create_app(strict)) as client:
        failures = [(await login(client, email, "wrong-guess")).status_code for _ in range(3)]
        locked = await login(client, email)

    assert failures == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_requests"
    assert 0 < int(locked.headers["retry-after"]) <= strict.login_lockout_seconds + 1


async def test_the_lock_holds_across_workers(settings: Settings) -> None:
    """Two app instances on one database stand for two workers behind a load balancer."""
    strict = dataclasses.replace(settings, login_max_failures=2)
    email = await make_user(settings)
    async with app_client(create_app(strict)) as worker_a:
        for _ in range(2):
            await login(worker_a, email, "wrong-guess")
    async with app_client(create_app(strict)) as worker_b:
        response = await login(worker_b, email)

    assert response.status_code == 429


async def test_concurrent_guesses_are_all_counted(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=5)
    email = await make_user(settings)
    async with app_client(create_app(strict)) as client:
        responses = await asyncio.gather(*(login(client, email, f"guess-{i}") for i in range(10)))
        after = await login(client, email)

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {401, 429}
    assert statuses[401] <= 5  # the guesses raced (in-loop client): no more than the limit were tried
    assert after.status_code == 429


async def test_one_address_guessing_many_accounts_is_limited(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=100, login_max_failures_per_ip=4)
    async with db_session_for(settings) as db_session:
        for i in range(4):
            with pytest.raises(services.NotAuthenticated):
                await attempt_login(db_session, strict, f"victim{i}@podium.test", "x", "203.0.113.9")

        with pytest.raises(TooManyRequests):
            await attempt_login(db_session, strict, "victim9@podium.test", "x", "203.0.113.9")
        other_address = attempt_login(db_session, strict, "victim9@podium.test", "x", "198.51.100.1")
        with pytest.raises(services.NotAuthenticated):
            await other_address


async def test_successful_login_resets_the_account_counter(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=3)
    email = await make_user(settings)
    async with db_session_for(settings) as db_session:
        for _ in range(2):
            with pytest.raises(services.NotAuthenticated):
                await attempt_login(db_session, strict, email, "wrong", "192.0.2.1")
        await attempt_login(db_session, strict, email, PASSWORD, "192.0.2.1")
        for _ in range(2):
            with pytest.raises(services.NotAuthenticated):
                await attempt_login(db_session, strict, email, "wrong", "192.0.2.1")

        user, _, _ = await attempt_login(db_session, strict, email, PASSWORD, "192.0.2.1")

    assert user.email == email


async def test_organizers_manage_accounts(client: Client, organizer: dict[str, str], staff: dict[str, str]) -> None:
    body = {
        "email": "new.staff@podium.test",
        "display_name": "New Staff",
        "password": "long-enough-pass",
        "role": "staff",
    }

    created = await client.post("/api/users", json=body, headers=organizer)
    duplicate = await client.post("/api/users", json=body, headers=organizer)
    short = await client.post(
        "/api/users", json={**body, "email": "x@podium.test", "password": "short"}, headers=organizer
    )
    by_staff = await client.post("/api/users", json={**body, "email": "y@podium.test"}, headers=staff)
    listed = await client.get("/api/users", headers=organizer)

    assert created.status_code == 201
    assert "password_hash" not in created.json()
    assert (duplicate.status_code, duplicate.json()["field"]) == (409, "email")
    assert (short.status_code, short.json()["field"]) == (422, "password")
    assert by_staff.status_code == 403
    assert "new.staff@podium.test" in [u["email"] for u in listed.json()]
