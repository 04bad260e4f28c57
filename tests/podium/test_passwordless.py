"""Passwordless sign-in (issue 16): a mailed link or code signs in once, expires, is rate-limited per address and per
client, tells a caller nothing about which addresses have accounts, never redirects off-site, and gives members
no staff or organizer powers (nor a password login)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, update

from podium.auth import services
from podium.auth.models import AuthToken, Role, SignInToken, User
from podium.auth.schemas import UserCreate
from podium.db import utcnow
from podium.main.app import create_app
from podium.settings import Settings
from tests.asgi_client import Client, app_client
from tests.podium.sign_in_mail import link_and_code, mailed_sign_in, sign_in_mails
from tests.registration.factories import db_session_for

HTML = {"Accept": "text/html"}
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def generous(settings: Settings) -> Settings:
    """The module's settings with room for every request these tests send from one address."""
    return dataclasses.replace(settings, sign_in_limit_per_email=1000, sign_in_limit_per_address=100_000)


@pytest.fixture
async def web(generous: Settings) -> AsyncIterator[Client]:
    async with app_client(create_app(generous)) as test_client:
        yield test_client


async def ask(client: Client, email: str, next_path: str | None = None) -> None:
    body = {"email": email} if next_path is None else {"email": email, "next": next_path}
    answer = await client.post("/api/auth/sign-in", json=body)
    assert answer.status_code == 202, answer.text


async def csrf_of(client: Client, path: str) -> str:
    page = await client.get(path, headers=HTML)
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def confirm(client: Client, token: str) -> tuple[int, str, str | None]:
    """Open the link's page and press its button: (status, where it sends us, the session cookie set)."""
    csrf = await csrf_of(client, f"/sign-in/{token}")
    used = await client.post(f"/sign-in/{token}", data={"_csrf_token": csrf}, headers=HTML)
    return used.status_code, used.headers.get("location", ""), used.cookies.get("podium_session")


async def whoami(client: Client, token: str) -> dict[str, str]:
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    body: dict[str, str] = me.json()
    return body


async def sessions_of(settings: Settings, email: str) -> int:
    async with db_session_for(settings) as db_session:
        found = await db_session.scalar(
            select(func.count())
            .select_from(AuthToken)
            .join(User, User.id == AuthToken.user_id)
            .where(User.email == email)
        )
    return int(found or 0)


async def test_link_signs_a_new_address_in_as_a_member_after_a_confirming_post(web: Client, generous: Settings) -> None:
    email = "New.Author@Podium.test"
    await ask(web, email, "/events?page=2")
    token, _ = await mailed_sign_in(generous, email)

    opened = await web.get(f"/sign-in/{token}", headers=HTML)
    opened_again = await web.get(f"/sign-in/{token}", headers=HTML)  # a mail scanner's fetch uses nothing
    status, location, cookie = await confirm(web, token)

    assert (opened.status_code, opened_again.status_code) == (200, 200)
    assert "new.author@podium.test" in opened.text
    assert (status, location) == (303, "/events?page=2")
    assert cookie
    me = await whoami(web, cookie)
    assert (me["email"], me["role"]) == ("new.author@podium.test", "member")
    async with db_session_for(generous) as db_session:
        user = await db_session.scalar(select(User).where(User.email == "new.author@podium.test"))
    assert user is not None and user.password_hash is None and user.role == Role.MEMBER


async def test_code_signs_in_through_the_api_and_the_page(web: Client, generous: Settings) -> None:
    email = "coder@podium.test"
    await ask(web, email)
    _, code = await mailed_sign_in(generous, email)
    by_api = await web.post("/api/auth/sign-in/code", json={"email": email, "code": code})
    web.cookies.clear()  # the API set the session cookie too: a cookie's changes need the pages' CSRF token
    await ask(web, email, "/events")
    _, second = await mailed_sign_in(generous, email)
    csrf = await csrf_of(web, "/sign-in")
    by_page = await web.post(
        "/sign-in/code",
        data={"email": email, "code": f"{second[:3]} {second[3:]}", "next": "/events", "_csrf_token": csrf},
        headers=HTML,
    )

    assert by_api.status_code == 200, by_api.text
    assert by_api.json()["user"]["role"] == "member"
    assert (await whoami(web, by_api.json()["token"]))["email"] == email
    assert (by_page.status_code, by_page.headers["location"]) == (303, "/events")
    assert by_page.cookies.get("podium_session")


async def test_expired_link_and_code_are_refused(web: Client, generous: Settings) -> None:
    email = "late@podium.test"
    await ask(web, email)
    token, code = await mailed_sign_in(generous, email)
    async with db_session_for(generous) as db_session:
        await db_session.execute(update(SignInToken).values(expires_at=utcnow()))
        await db_session.commit()

    page = await web.get(f"/sign-in/{token}", headers=HTML)
    status, _, cookie = await confirm_without_page(web, token)
    by_code = await web.post("/api/auth/sign-in/code", json={"email": email, "code": code})

    assert page.status_code == 400 and "expired" in page.text
    assert (status, cookie) == (400, None)
    assert by_code.status_code == 401
    assert by_code.json()["code"] == "sign_in_invalid"
    assert by_code.json()["field"] == "code"
    assert await sessions_of(generous, email) == 0


async def confirm_without_page(client: Client, token: str) -> tuple[int, str, str | None]:
    """Press a link's button with a CSRF token from another page (the link's own page refuses to show one)."""
    csrf = await csrf_of(client, "/sign-in")
    used = await client.post(f"/sign-in/{token}", data={"_csrf_token": csrf}, headers=HTML)
    return used.status_code, used.headers.get("location", ""), used.cookies.get("podium_session")


async def test_a_link_or_code_works_once(web: Client, generous: Settings) -> None:
    email = "once@podium.test"
    await ask(web, email)
    token, code = await mailed_sign_in(generous, email)

    first = await confirm(web, token)
    web.cookies.clear()
    again = await confirm_without_page(web, token)
    code_after = await web.post("/api/auth/sign-in/code", json={"email": email, "code": code})

    assert first[0] == 303
    assert again[0] == 400
    assert code_after.status_code == 401
    assert await sessions_of(generous, email) == 1


async def test_racing_uses_of_one_link_give_exactly_one_login(web: Client, generous: Settings) -> None:
    email = "racer@podium.test"
    await ask(web, email)
    token, _ = await mailed_sign_in(generous, email)
    csrf = await csrf_of(web, f"/sign-in/{token}")

    answers = await asyncio.gather(
        *(web.post(f"/sign-in/{token}", data={"_csrf_token": csrf}, headers=HTML) for _ in range(8))
    )

    assert sorted(a.status_code for a in answers) == [303] + [400] * 7
    assert await sessions_of(generous, email) == 1


async def test_racing_uses_of_one_code_give_exactly_one_login(web: Client, generous: Settings) -> None:
    email = "code-racer@podium.test"
    await ask(web, email)
    _, code = await mailed_sign_in(generous, email)

    answers = await asyncio.gather(
        *(web.post("/api/auth/sign-in/code", json={"email": email, "code": code}) for _ in range(8))
    )

    assert sorted(a.status_code for a in answers) == [200] + [401] * 7
    assert await sessions_of(generous, email) == 1


async def test_five_wrong_codes_kill_the_sign_in_even_sent_at_once(web: Client, generous: Settings) -> None:
    email = "guessed@podium.test"
    await ask(web, email)
    token, code = await mailed_sign_in(generous, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    guesses = await asyncio.gather(
        *(web.post("/api/auth/sign-in/code", json={"email": email, "code": wrong}) for _ in range(5))
    )
    right_too_late = await web.post("/api/auth/sign-in/code", json={"email": email, "code": code})
    link_too = await web.get(f"/sign-in/{token}", headers=HTML)

    assert [g.status_code for g in guesses] == [401] * 5
    assert right_too_late.status_code == 401
    assert link_too.status_code == 400
    async with db_session_for(generous) as db_session:
        tries = await db_session.scalar(
            select(SignInToken.code_tries).join(User, User.id == SignInToken.user_id).where(User.email == email)
        )
    assert tries == generous.sign_in_code_tries


async def test_at_most_n_sign_ins_live_per_address(web: Client, generous: Settings) -> None:
    email = "many@podium.test"
    for _ in range(generous.sign_in_live_per_email + 1):
        await ask(web, email)
    tokens = [link_and_code(text)[0] for text in await sign_in_mails(generous, email)]

    pages = [(await web.get(f"/sign-in/{t}", headers=HTML)).status_code for t in tokens]

    assert pages == [400] + [200] * generous.sign_in_live_per_email


async def test_sign_in_requests_are_limited_per_address_with_retry_after(settings: Settings) -> None:
    strict = dataclasses.replace(settings, sign_in_limit_per_email=2, sign_in_limit_per_address=1000)
    answers = []
    for i in range(3):  # from three client addresses: the limit is the mailbox's
        async with app_client(create_app(strict), peer=(f"198.51.100.{i + 1}", 1)) as client:
            answers.append(await client.post("/api/auth/sign-in", json={"email": "flood@podium.test"}))

    assert [a.status_code for a in answers] == [202, 202, 429]
    refused = answers[2]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["retry_after"] == int(refused.headers["retry-after"])
    assert len(await sign_in_mails(strict, "flood@podium.test")) == 2


async def test_sign_in_requests_are_limited_per_client_address(settings: Settings) -> None:
    strict = dataclasses.replace(settings, sign_in_limit_per_email=1000, sign_in_limit_per_address=3)
    async with app_client(create_app(strict), peer=("203.0.113.50", 1)) as client:
        answers = [await client.post("/api/auth/sign-in", json={"email": f"ip{i}@podium.test"}) for i in range(4)]
        codes = [
            await client.post("/api/auth/sign-in/code", json={"email": "ip0@podium.test", "code": "000000"})
            for _ in range(4)
        ]
        page = await client.post(
            "/sign-in", data={"email": "ip9@podium.test", "_csrf_token": await csrf_of(client, "/sign-in")}
        )
    async with app_client(create_app(strict), peer=("203.0.113.51", 1)) as elsewhere:
        other = await elsewhere.post("/api/auth/sign-in", json={"email": "ip5@podium.test"})

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert int(answers[3].headers["retry-after"]) > 0
    assert [c.status_code for c in codes][-1] == 429
    assert page.status_code == 429 and int(page.headers["retry-after"]) > 0
    assert other.status_code == 202
    assert await sign_in_mails(strict, "ip3@podium.test") == []


async def test_the_answer_is_the_same_for_any_address(web: Client, generous: Settings) -> None:
    async with db_session_for(generous) as db_session:
        await services.create_user(
            db_session,
            UserCreate(email="known@podium.test", display_name="Kim", password="known-password-123", role="staff"),
        )
        gone = await services.create_user(
            db_session,
            UserCreate(email="gone@podium.test", display_name="Gil", password="gone-password-1234", role="staff"),
        )
        gone.is_active = False
        await db_session.commit()
    kept = ("content-type", "content-length", "cache-control", "set-cookie", "retry-after")

    answers = [
        await web.post("/api/auth/sign-in", json={"email": email})
        for email in ("known@podium.test", "stranger@podium.test", "gone@podium.test")
    ]

    assert len({(a.status_code, a.content) for a in answers}) == 1
    assert len({tuple((k, a.headers.get(k)) for k in kept) for a in answers}) == 1
    assert answers[0].status_code == 202
    # Mail went to the staff account and the new member, never to a deactivated account.
    assert len(await sign_in_mails(generous, "known@podium.test")) == 1
    assert len(await sign_in_mails(generous, "stranger@podium.test")) == 1
    assert await sign_in_mails(generous, "gone@podium.test") == []


async def test_staff_sign_in_by_email_into_their_own_account(web: Client, generous: Settings) -> None:
    async with db_session_for(generous) as db_session:
        await services.create_user(
            db_session,
            UserCreate(email="desk@podium.test", display_name="Dee", password="desk-password-1234", role="staff"),
        )
        await db_session.commit()
    await ask(web, "desk@podium.test")
    token, _ = await mailed_sign_in(generous, "desk@podium.test")

    status, location, cookie = await confirm(web, token)

    assert (status, location) == (303, "/staff")
    assert cookie and (await whoami(web, cookie))["role"] == "staff"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\t/evil.example", "/\\evil.example", "javascript:alert(1)"],
)
async def test_next_never_leaves_the_site(web: Client, generous: Settings, target: str) -> None:
    email = f"redirect-{abs(hash(target))}@podium.test"
    await ask(web, email, target)
    token, _ = await mailed_sign_in(generous, email)

    status, location, _ = await confirm(web, token)

    assert (status, location) == (303, "/")


async def test_bad_input_names_the_field(web: Client) -> None:
    email = await web.post("/api/auth/sign-in", json={"email": "not-an-address"})
    code = await web.post("/api/auth/sign-in/code", json={"email": "a@podium.test", "code": "12ab56"})
    page = await web.post(
        "/sign-in", data={"email": "nope", "_csrf_token": await csrf_of(web, "/sign-in")}, headers=HTML
    )

    assert email.status_code == 422 and email.json()["field"] == "email"
    assert code.status_code == 422 and code.json()["field"] == "code"
    assert page.status_code == 422
    assert 'id="e-email"' in page.text and 'aria-invalid="true"' in page.text


async def test_members_pass_no_staff_or_organizer_guard(web: Client, generous: Settings) -> None:
    email = "member-guards@podium.test"
    await ask(web, email)
    _, code = await mailed_sign_in(generous, email)
    token = (await web.post("/api/auth/sign-in/code", json={"email": email, "code": code})).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}

    users = await web.get("/api/users", headers=bearer)
    search = await web.get("/api/events/any-event/registrations", headers=bearer)
    staff_page = await web.get("/staff", headers={**bearer, **HTML})
    organizer_page = await web.get("/organizer", headers={**bearer, **HTML})
    account = await web.get("/api/auth/tokens", headers=bearer)
    logout = await web.post("/api/auth/logout", headers=bearer)
    after = await web.get("/api/auth/me", headers=bearer)

    assert users.status_code == 403
    assert search.status_code == 403
    assert staff_page.status_code == 403
    assert organizer_page.status_code == 403
    assert account.status_code == 403
    assert logout.status_code == 204
    assert after.status_code == 401


async def test_password_login_is_refused_for_a_member(web: Client, generous: Settings) -> None:
    email = "no-password@podium.test"
    await ask(web, email)
    refused = await web.post("/api/auth/login", json={"email": email, "password": "anything-at-all"})
    # Even a password set by hand on a member's account opens nothing.
    async with db_session_for(generous) as db_session:
        await services.set_password(db_session, email, "a-password-set-by-hand")
        await db_session.commit()
    still = await web.post("/api/auth/login", json={"email": email, "password": "a-password-set-by-hand"})

    assert refused.status_code == 401
    assert still.status_code == 401


async def test_login_page_links_to_sign_in_by_email(web: Client) -> None:
    login = await web.get("/login?next=/events", headers=HTML)
    form = await web.get("/sign-in?next=/events", headers=HTML)

    assert 'href="/sign-in?next=/events"' in login.text
    assert 'name="next" value="/events"' in form.text
