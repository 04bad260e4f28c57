"""Every attendee page in every shipped language: each message it looks up has a translation (the catalog
check hook records any that falls back to English), and the page says which language it is in."""

from __future__ import annotations

from uuid import UUID

import pytest

from podium import i18n
from podium.locale_choice import COOKIE
from podium.settings import Settings
from registration.links.tokens import registration_secret
from tests.abstracts.review_factories import add_abstract, build_review_call, make_person
from tests.asgi_client import Client
from tests.sessions.test_event_brand_pages import Seeded, csrf_of

# The event with a session, a held order and a waitlist place that the brand test walks: the same pages here.
from tests.sessions.test_event_brand_pages import seeded as seeded

HTML = {"Accept": "text/html"}
TRANSLATED = [locale for locale in i18n.LOCALES if locale != i18n.DEFAULT_LOCALE]


def attendee_pages(settings: Settings, seeded: Seeded) -> dict[str, str]:
    slug = seeded.slug
    return {
        "events": "/",
        "event": f"/events/{slug}",
        "program list": f"/events/{slug}/program?day={seeded.start}",
        "program grid": f"/events/{slug}/program?day={seeded.start}&view=grid",
        "program search": f"/events/{slug}/program?q=helix",
        "program, all days": f"/events/{slug}/program?day=all",
        "session": f"/events/{slug}/sessions/{seeded.session_id}",
        "register": f"/events/{slug}/register",
        "waitlist": f"/events/{slug}/waitlist?add_on=workshop",
        "waitlist place": f"/events/{slug}/waitlist/{seeded.entry_id}?token={seeded.entry_token}",
        "order": f"/orders/{seeded.order_id}?secret={seeded.order_secret}",
        "registration": f"/registrations/{seeded.registration_id}?secret="
        + registration_secret(settings.secret_key, UUID(seeded.registration_id), 1),
    }


@pytest.mark.parametrize("locale", TRANSLATED)
async def test_every_attendee_page_is_translated(
    client: Client, settings: Settings, seeded: Seeded, locale: str
) -> None:
    client.cookies.clear()
    client.cookies.set(COOKIE, locale)
    statuses = {}

    with i18n.recording_misses() as misses:
        for name, path in attendee_pages(settings, seeded).items():
            response = await client.get(path, headers=HTML)
            statuses[name] = (response.status_code, f'<html lang="{i18n.html_lang(locale)}">' in response.text)
        token = csrf_of((await client.get(f"/events/{seeded.slug}/register", headers=HTML)).text)
        with_errors = await client.post(
            f"/events/{seeded.slug}/register",
            data={"_csrf_token": token, "people": "1", "a0-email": "not an email", "buyer_email": "nobody"},
            headers=HTML,
        )
        missing = await client.get(f"/events/{seeded.slug}-gone", headers=HTML)

    assert statuses == dict.fromkeys(attendee_pages(settings, seeded), (200, True))
    assert (with_errors.status_code, missing.status_code) == (422, 404)
    assert sorted(misses) == []


async def test_a_spanish_page_reads_in_spanish(client: Client, seeded: Seeded) -> None:
    client.cookies.clear()

    page = await client.get(f"/events/{seeded.slug}/register", headers={**HTML, "Accept-Language": "es"})

    assert "<h1>Inscripción en Test Meeting</h1>" in page.text
    assert "Continuar al pago" in page.text and "Continue to payment" not in page.text
    assert "400,00\xa0US$" in page.text  # the member category's price, as Spanish writes it


@pytest.mark.parametrize("locale", TRANSLATED)
async def test_sign_in_pages_are_translated(client: Client, locale: str) -> None:
    """The pages a person without an account meets: log in, sign in by email, a dead link, a dead unlock link."""
    client.cookies.clear()
    client.cookies.set(COOKIE, locale)
    lang = f'<html lang="{i18n.html_lang(locale)}">'

    with i18n.recording_misses() as misses:
        pages = {
            "login": await client.get("/login", headers=HTML),
            "sign in": await client.get("/sign-in", headers=HTML),
            "dead link": await client.get("/sign-in/not-a-real-token", headers=HTML),
            "dead unlock link": await client.get("/account/unlock?token=not-a-real-token", headers=HTML),
        }
        token = csrf_of(pages["login"].text)
        wrong = await client.post(
            "/login", data={"_csrf_token": token, "email": "nobody@example.org", "password": "wrong"}, headers=HTML
        )

    assert {name: (page.status_code, lang in page.text) for name, page in pages.items()} == {
        "login": (200, True),
        "sign in": (200, True),
        "dead link": (400, True),
        "dead unlock link": (400, True),
    }
    assert wrong.status_code == 401
    assert sorted(misses) == []


async def test_the_login_page_reads_in_spanish(client: Client) -> None:
    client.cookies.clear()
    client.cookies.set(COOKIE, "es")

    page = await client.get("/login", headers=HTML)
    dead = await client.get("/sign-in/not-a-real-token", headers=HTML)

    assert "<h1>Iniciar sesión</h1>" in page.text
    assert "Acceder por correo electrónico" in page.text and "Sign in by email" not in page.text
    assert "este enlace de acceso no es válido, ya se usó o ha caducado" in dead.text


@pytest.fixture
async def console_pages(
    client: Client, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Per role, its headers and its pages, on an event with a room, a speaker, a session and a call under
    review with one reviewer assigned."""
    review = await build_review_call(settings, reviews_per_abstract=1)
    slug = review.slug
    await client.post(f"/api/events/{slug}/rooms", json={"name": "Hall A", "capacity": 300}, headers=organizer)
    speaker = (
        await client.post(f"/api/events/{slug}/speakers", json={"name": "Grace Hopper"}, headers=organizer)
    ).json()
    session = await client.post(
        f"/api/events/{slug}/sessions",
        json={
            "title": "Plenary",
            "starts_at": "2027-06-08T07:00:00Z",
            "ends_at": "2027-06-08T08:00:00Z",
            "speaker_ids": [speaker["id"]],
        },
        headers=organizer,
    )
    reviewer = await make_person(settings, "Rita Reviewer")
    abstract_id = await add_abstract(settings, review, await make_person(settings, "Sue Submitter"), number=1)
    invited = await client.post(
        f"/api/organizer/events/{slug}/review/reviewers", json={"email": reviewer.email}, headers=organizer
    )
    assigned = await client.post(f"/api/organizer/events/{slug}/review/assignments/auto", headers=organizer)
    assert (session.status_code, invited.status_code, assigned.status_code) == (201, 200, 200), session.text
    console = f"/organizer/events/{slug}"
    return {
        "organizer": (
            organizer,
            {
                "program editor": f"{console}/program?day=2027-06-08&notice=Draft+deleted.",
                "program editor, nothing found": f"{console}/program?q=nothing-like-it",
                "new session": f"{console}/program/new",
                "session": f"{console}/program/{session.json()['id']}?saved=1",
                "speakers": f"{console}/speakers?q=grace",
                "speaker": f"{console}/speakers/{speaker['id']}?saved=1",
                "call for abstracts": f"{console}/call-for-abstracts?saved=1",
                "review console": f"{console}/review?assigned=2&short=1&invited=rita%40example.org",
                "schedule": f"{console}/abstracts/schedule",
                "decision mails": f"{console}/abstracts/decision-mails",
                "account": "/account",
            },
        ),
        "staff": (staff, {"scanner": f"/staff/events/{slug}/scanner"}),
        "reviewer": (
            reviewer.headers,
            {"reviews": f"/review/events/{slug}?saved=1", "review": f"/review/events/{slug}/abstracts/{abstract_id}"},
        ),
    }


async def test_every_organizer_staff_and_reviewer_page_is_translated(
    client: Client, console_pages: dict[str, tuple[dict[str, str], dict[str, str]]]
) -> None:
    """The program editor, speakers, call, review console, scheduling, decision mails, scanner, account and the
    reviewer's pages, in every shipped language (one event for all: seeding it costs more than the pages)."""
    statuses = {}

    with i18n.recording_misses() as misses:
        for locale in TRANSLATED:
            client.cookies.clear()
            client.cookies.set(COOKIE, locale)
            for headers, pages in console_pages.values():
                for name, path in pages.items():
                    response = await client.get(path, headers={**headers, **HTML})
                    statuses[locale, name] = (
                        response.status_code,
                        f'<html lang="{i18n.html_lang(locale)}">' in response.text,
                    )

    every_page = [name for _, pages in console_pages.values() for name in pages]
    assert statuses == {(locale, name): (200, True) for locale in TRANSLATED for name in every_page}
    assert sorted(misses) == []


def organizer_pages(seeded: Seeded) -> dict[str, str]:
    console = f"/organizer/events/{seeded.slug}"
    return {
        "console": "/organizer",
        "new event": "/organizer/events/new",
        "event": console,
        "catalog": f"{console}/catalog",
        "registrations": f"{console}/registrations",
        "registrations, filtered": f"{console}/registrations?status=held&q=nobody",
        "dashboard": f"{console}/dashboard",
        "dashboard figures": f"{console}/dashboard/live",
        "letters": f"{console}/letters?status=pending",
        "letter settings": f"{console}/letters/settings",
        "bank transfer": f"{console}/bank-transfer",
        "bank statements": f"{console}/bank-statements",
        "audit log": f"{console}/audit",
        "mail": f"{console}/mail?template=order_held",
        "jobs": "/organizer/jobs",
        "accounts": "/organizer/users",
    }


async def test_every_organizer_page_is_translated(client: Client, organizer: dict[str, str], seeded: Seeded) -> None:
    """The console, event settings, catalog, registrations, check-in dashboard, letters, bank pages, audit log,
    mail wording, jobs and accounts, in every shipped language (one seeded event for all)."""
    headers = {**HTML, **organizer}
    statuses = {}
    refused = {}

    with i18n.recording_misses() as misses:
        for locale in TRANSLATED:
            client.cookies.clear()
            client.cookies.set(COOKIE, locale)
            for name, path in organizer_pages(seeded).items():
                response = await client.get(path, headers=headers)
                statuses[locale, name] = (
                    response.status_code,
                    f'<html lang="{i18n.html_lang(locale)}">' in response.text,
                )
            bad_filter = await client.get(f"/organizer/events/{seeded.slug}/audit?since=soon", headers=headers)
            refused[locale] = bad_filter.status_code

    expected = {name: (200, name != "dashboard figures") for name in organizer_pages(seeded)}  # a fragment: no <html>
    assert statuses == {(locale, name): value for locale in TRANSLATED for name, value in expected.items()}
    assert refused == dict.fromkeys(TRANSLATED, 400)
    assert sorted(misses) == []
