"""Failed logins slow guessers without locking owners out: a (address, account) pair locks, an account guessed
at from many addresses is guarded (its usual addresses still work) and its owner mailed a one-time unlock link."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from urllib.parse import unquote

import pytest

from podium.auth import lockout, services
from podium.auth.controllers import attempt_login
from podium.auth.schemas import UserCreate
from podium.db import utcnow
from podium.errors import TooManyRequests
from podium.main.app import create_app
from podium.outbox import enqueue
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from tests.asgi_client import app_client
from tests.registration.factories import db_session_for, outbox_mails

PASSWORD = "correct-horse-battery"


async def make_user(settings: Settings) -> str:
    email = f"owner-{secrets.token_hex(4)}@podium.test"
    async with db_session_for(settings) as db_session:
        await services.create_user(
            db_session, UserCreate(email=email, display_name="Owen", password=PASSWORD, role="staff")
        )
        await db_session.commit()
    return email


async def attempt(settings: Settings, email: str, password: str, address: str) -> str:
    """One login through the service with the app's mail hook; the outcome as a word."""
    async with db_session_for(settings) as db_session:
        try:
            await attempt_login(db_session, settings, email, password, address, mail=enqueue)
        except services.NotAuthenticated:
            return "wrong"
        except TooManyRequests:
            return "refused"
    return "in"


async def unlock_mails(settings: Settings, email: str) -> list[str]:
    async with db_session_for(settings) as db_session:
        found = await outbox_mails(
            db_session, OutboxMessage.to_address == email, OutboxMessage.dedupe_key.like("login-guard:%")
        )
    return [mail.text for _, mail in found]


async def test_pair_lockout_does_not_lock_the_owner_out_from_another_address(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=3, login_account_guard_failures=100)
    email = await make_user(settings)

    guesses = [await attempt(strict, email, f"guess-{i}", "203.0.113.5") for i in range(3)]
    attacker_with_the_password = await attempt(strict, email, PASSWORD, "203.0.113.5")
    owner = await attempt(strict, email, PASSWORD, "198.51.100.7")

    assert guesses == ["wrong", "wrong", "wrong"]
    assert attacker_with_the_password == "refused"
    assert owner == "in"


async def test_guarded_account_admits_its_usual_address_and_mails_the_owner_once(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=100, login_account_guard_failures=4)
    email = await make_user(settings)
    assert await attempt(strict, email, PASSWORD, "198.51.100.20") == "in"  # the owner's desk

    guesses = [await attempt(strict, email, "guess", f"203.0.113.{i}") for i in range(6)]
    stranger_with_the_password = await attempt(strict, email, PASSWORD, "192.0.2.77")
    owner_at_the_desk = await attempt(strict, email, PASSWORD, "198.51.100.20")

    assert guesses == ["wrong", "wrong", "wrong", "wrong", "refused", "refused"]
    assert stranger_with_the_password == "refused"
    assert owner_at_the_desk == "in"
    mails = await unlock_mails(strict, email)
    assert len(mails) == 1
    assert f"{strict.base_url}/account/unlock?token=" in mails[0]


async def test_guesses_at_an_unknown_account_mail_nobody(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=100, login_account_guard_failures=2)

    guesses = [await attempt(strict, "nobody-here@podium.test", "x", f"203.0.113.{i}") for i in range(3)]

    assert guesses == ["wrong", "wrong", "refused"]
    assert await unlock_mails(strict, "nobody-here@podium.test") == []


async def test_unlock_link_lifts_the_guard_once(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=100, login_account_guard_failures=3)
    email = await make_user(settings)
    for i in range(3):
        await attempt(strict, email, "guess", f"203.0.113.{i + 100}")
    assert await attempt(strict, email, PASSWORD, "192.0.2.88") == "refused"
    [body] = await unlock_mails(strict, email)
    found = re.search(r"/account/unlock\?token=(\S+)", body)
    assert found is not None
    token = unquote(found.group(1))

    async with app_client(create_app(strict)) as client:
        page = await client.get("/account/unlock", params={"token": token})
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        used = await client.post("/account/unlock", data={"token": token, "_csrf_token": csrf.group(1)})
        again = await client.post("/account/unlock", data={"token": token, "_csrf_token": csrf.group(1)})
        forged = await client.get("/account/unlock", params={"token": token[:-2] + "xx"})

    assert page.status_code == 200
    assert email in page.text
    assert used.status_code == 200
    assert "takes logins from anywhere again" in used.text
    assert again.status_code == 400
    assert "already used" in again.text
    assert forged.status_code == 400
    assert await attempt(strict, email, PASSWORD, "192.0.2.88") == "in"


async def test_unlock_token_expires_and_refuses_tampering(settings: Settings) -> None:
    now = utcnow()
    token = lockout.unlock_token(settings.secret_key, "ann@podium.test", now)

    assert lockout.read_unlock_token(settings.secret_key, token, now)[0] == "ann@podium.test"
    with pytest.raises(lockout.UnlockLinkInvalid):
        lockout.read_unlock_token(settings.secret_key, token, now + dt.timedelta(hours=25))
    with pytest.raises(lockout.UnlockLinkInvalid):
        lockout.read_unlock_token("another-secret-key-of-enough-length-123", token, now)
    with pytest.raises(lockout.UnlockLinkInvalid):
        lockout.read_unlock_token(settings.secret_key, "not.a-token", now)
    encoded, issued, _ = token.split(".")
    for hostile in (f"{encoded}.{issued}.été", f"{encoded}.99999999999999999999.abc"):
        with pytest.raises(lockout.UnlockLinkInvalid):
            lockout.read_unlock_token(settings.secret_key, hostile, now)


async def test_login_page_answers_429_with_retry_after(settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures=1, login_account_guard_failures=100)
    email = await make_user(settings)
    async with app_client(create_app(strict), peer=("192.0.2.123", 1)) as client:
        form = await client.get("/login")
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        fields = {"email": email, "password": "wrong", "_csrf_token": csrf.group(1)}
        wrong = await client.post("/login", data=fields)
        locked = await client.post("/login", data={**fields, "password": PASSWORD})

    assert wrong.status_code == 401
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
