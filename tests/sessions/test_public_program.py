"""The public program: only published and cancelled sessions of published events, filters and search, the
session detail, ETag/Last-Modified with 304, and never a speaker's email."""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest

from podium.settings import Settings
from tests.asgi_client import Client
from tests.sessions.factories import ProgramEvent, at, build_program_event


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


async def speaker(client: Client, organizer: dict[str, str], program: ProgramEvent, name: str) -> str:
    body = {"name": name, "affiliation": "Univ", "email": f"{name.split()[0].lower()}@secret.example"}
    response = await client.post(f"/api/events/{program.slug}/speakers", json=body, headers=organizer)
    return str(response.json()["id"])


async def session(
    client: Client, organizer: dict[str, str], program: ProgramEvent, title: str, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "starts_at": at(1, 9), "ends_at": at(1, 10), "status": "published"}
    body.update(overrides)
    response = await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
async def filled(client: Client, organizer: dict[str, str], program: ProgramEvent) -> dict[str, dict[str, Any]]:
    """Five sessions over two days: published, a draft, a cancelled one; two speakers."""
    noether = await speaker(client, organizer, program, "Emmy Noether")
    curie = await speaker(client, organizer, program, "Marie Curie")
    hall, room = str(program.rooms["Hall A"]), str(program.rooms["Room 101"])
    science, policy = str(program.tracks["Basic Science"]), str(program.tracks["Health Policy"])
    made = {
        "symmetry": await session(
            client,
            organizer,
            program,
            "Symmetry and conservation",
            kind="keynote",
            room_id=hall,
            track_id=science,
            abstract="Why invariants matter.",
            speaker_ids=[noether],
        ),
        "radium": await session(
            client,
            organizer,
            program,
            "Radioactivity today",
            room_id=room,
            track_id=science,
            abstract="100% of the isotopes_ explained.",
            speaker_ids=[curie],
        ),
        "policy": await session(
            client,
            organizer,
            program,
            "Funding basic research",
            kind="symposium",
            starts_at=at(2, 9),
            ends_at=at(2, 10),
            room_id=hall,
            track_id=policy,
            chair_ids=[noether],
        ),
        "draft": await session(
            client, organizer, program, "Secret draft", status="draft", starts_at=at(2, 11), ends_at=at(2, 12)
        ),
        "off": await session(client, organizer, program, "Called off", starts_at=at(2, 13), ends_at=at(2, 14)),
    }
    await client.post(f"/api/sessions/{made['off']['id']}/cancel", headers=organizer)
    return made


async def titles(client: Client, program: ProgramEvent, **params: str) -> list[str]:
    response = await client.get(f"/api/events/{program.slug}/sessions", params=params)
    assert response.status_code == 200, response.text
    return [s["title"] for s in response.json()]


async def test_public_list_shows_published_and_cancelled_in_time_order(
    client: Client, program: ProgramEvent, filled: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(f"/api/events/{program.slug}/sessions")

    listed = response.json()
    assert [(s["title"], s["status"]) for s in listed] == [
        ("Radioactivity today", "published"),
        ("Symmetry and conservation", "published"),
        ("Funding basic research", "published"),
        ("Called off", "cancelled"),
    ]
    assert "secret.example" not in response.text and "email" not in response.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"day": "2027-03-14"}, ["Radioactivity today", "Symmetry and conservation"]),
        ({"day": "2027-03-16"}, []),
        ({"type": "keynote"}, ["Symmetry and conservation"]),
        ({"q": "SYMMETRY"}, ["Symmetry and conservation"]),
        ({"q": "invariants"}, ["Symmetry and conservation"]),
        ({"q": "noether"}, ["Symmetry and conservation", "Funding basic research"]),
        ({"q": "noether funding"}, ["Funding basic research"]),
        ({"q": "100%"}, ["Radioactivity today"]),
        ({"q": "isotopes_"}, ["Radioactivity today"]),
        ({"q": "%"}, ["Radioactivity today"]),
        ({"q": "secret"}, []),
        ({"q": "draft"}, []),
    ],
)
async def test_public_list_filters_and_searches(
    client: Client,
    program: ProgramEvent,
    filled: dict[str, dict[str, Any]],
    params: dict[str, str],
    expected: list[str],
) -> None:
    assert await titles(client, program, **params) == expected


async def test_filters_by_track_room_and_speaker(
    client: Client, program: ProgramEvent, filled: dict[str, dict[str, Any]]
) -> None:
    noether = filled["symmetry"]["people"][0]["id"]

    by_track = await titles(client, program, track=str(program.tracks["Health Policy"]))
    by_room = await titles(client, program, room=str(program.rooms["Room 101"]))
    by_speaker = await titles(client, program, speaker=noether)

    assert by_track == ["Funding basic research"]
    assert by_room == ["Radioactivity today"]
    assert by_speaker == ["Symmetry and conservation", "Funding basic research"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"day": "tomorrow"}, "day"), ({"type": "rave"}, "type"), ({"track": "x"}, "track"), ({"limit": "0"}, "limit")],
)
async def test_bad_filters_name_the_parameter(
    client: Client, program: ProgramEvent, params: dict[str, str], field: str
) -> None:
    response = await client.get(f"/api/events/{program.slug}/sessions", params=params)

    assert response.status_code == 400 or response.status_code == 422, response.text
    assert response.json()["field"] == field


async def test_unpublished_events_have_no_public_program(client: Client, settings: Settings) -> None:
    draft_event = await build_program_event(settings, status="draft")

    response = await client.get(f"/api/events/{draft_event.slug}/sessions")

    assert response.status_code == 404


async def test_session_detail_is_public_for_published_and_cancelled_only(
    client: Client, filled: dict[str, dict[str, Any]]
) -> None:
    shown = await client.get(f"/api/sessions/{filled['symmetry']['id']}")
    cancelled = await client.get(f"/api/sessions/{filled['off']['id']}")
    draft = await client.get(f"/api/sessions/{filled['draft']['id']}")

    assert (shown.json()["title"], shown.json()["people"][0]["name"]) == ("Symmetry and conservation", "Emmy Noether")
    assert "secret.example" not in shown.text
    assert cancelled.json()["status"] == "cancelled"
    assert (draft.status_code, draft.json()["field"]) == (404, "session_id")


async def test_list_etag_gives_304_until_the_program_changes(
    client: Client, organizer: dict[str, str], program: ProgramEvent, filled: dict[str, dict[str, Any]]
) -> None:
    url = f"/api/events/{program.slug}/sessions"
    first = await client.get(url)
    etag = first.headers["etag"]

    again = await client.get(url, headers={"If-None-Match": etag})
    other_query = await client.get(url, params={"day": "2027-03-14"}, headers={"If-None-Match": etag})
    renamed = await client.patch(
        f"/api/events/{program.slug}/speakers/{filled['symmetry']['people'][0]['id']}",
        json={"name": "Amalie Noether"},
        headers=organizer,
    )
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Amalie Noether"), renamed.text
    after_rename = await client.get(url, headers={"If-None-Match": etag})
    edited = await client.patch(
        f"/api/sessions/{filled['radium']['id']}", json={"abstract": "Fixed."}, headers=organizer
    )
    assert (edited.status_code, edited.json()["abstract"]) == (200, "Fixed."), edited.text
    after_edit = await client.get(url, headers={"If-None-Match": after_rename.headers["etag"]})

    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert other_query.status_code == 200
    assert after_rename.status_code == 200 and "Amalie Noether" in after_rename.text
    assert after_edit.status_code == 200 and "Fixed." in after_edit.text


async def test_titles_read_in_the_visitors_language_with_a_body_and_etag_per_locale(
    client: Client, organizer: dict[str, str], program: ProgramEvent, filled: dict[str, dict[str, Any]]
) -> None:
    url = f"/api/events/{program.slug}/sessions"
    detail = f"/api/sessions/{filled['symmetry']['id']}"
    spanish = {"Accept-Language": "es"}
    translated = await client.patch(
        detail,
        json={"translations": {"es": {"title": "Simetría y conservación"}, "fr": {"title": " "}}},
        headers=organizer,
    )

    es_first = await client.get(url, headers=spanish)
    en = await client.get(url)
    es_again = await client.get(url, headers=spanish)
    by_cookie = await client.get(url, headers={"Cookie": "podium_locale=es"})
    zh = await client.get(url, headers={"Accept-Language": "zh-CN"})
    en_copy_asked_in_spanish = await client.get(url, headers={**spanish, "If-None-Match": en.headers["etag"]})
    es_detail = await client.get(detail, headers=spanish)
    en_detail = await client.get(detail)
    es_detail_again = await client.get(detail, headers={**spanish, "If-None-Match": es_detail.headers["etag"]})

    def symmetry(response: Any) -> str:
        return str(next(s["title"] for s in response.json() if s["id"] == filled["symmetry"]["id"]))

    assert translated.json()["translations"] == {"es": {"title": "Simetría y conservación"}}, translated.text
    assert translated.json()["title"] == "Symmetry and conservation"
    assert [symmetry(r) for r in (es_first, en, es_again, by_cookie, zh)] == [
        "Simetría y conservación",
        "Symmetry and conservation",
        "Simetría y conservación",
        "Simetría y conservación",
        "Symmetry and conservation",
    ]
    assert es_first.headers["etag"] == es_again.headers["etag"] != en.headers["etag"]
    assert (es_first.headers["content-language"], en.headers["content-language"]) == ("es", "en")
    assert (zh.headers["content-language"], es_first.headers["vary"]) == ("zh-Hans", "Accept-Language, Cookie")
    assert en_copy_asked_in_spanish.status_code == 200
    assert (es_detail.json()["title"], en_detail.json()["title"]) == (
        "Simetría y conservación",
        "Symmetry and conservation",
    )
    assert es_detail.headers["etag"] != en_detail.headers["etag"]
    assert es_detail_again.status_code == 304


async def test_search_finds_a_title_in_the_readers_language_and_the_base_title_in_any(
    client: Client, organizer: dict[str, str], program: ProgramEvent, filled: dict[str, dict[str, Any]]
) -> None:
    for key, translations in (
        ("symmetry", {"es": {"title": "Simetría y conservación"}, "fr": {"title": "Symétrie et conservation"}}),
        ("radium", {"fr": {"title": "La radioactivité aujourd'hui"}}),
    ):
        patched = await client.patch(
            f"/api/sessions/{filled[key]['id']}", json={"translations": translations}, headers=organizer
        )
        assert patched.status_code == 200, patched.text
    url = f"/api/events/{program.slug}/sessions"

    async def titles(q: str, language: str) -> list[str]:
        response = await client.get(url, params={"q": q}, headers={"Accept-Language": language})
        assert response.status_code == 200, response.text
        return [s["title"] for s in response.json()]

    assert await titles("SIMETR", "es") == ["Simetría y conservación"]
    assert await titles("simetría conservación", "es") == ["Simetría y conservación"]
    assert await titles("symmetry", "es") == ["Simetría y conservación"]  # the base title still counts
    assert await titles("simetría", "en") == []  # another language's title is not the reader's
    assert await titles("simetría", "fr") == []
    assert await titles("radioactivité", "fr") == ["La radioactivité aujourd'hui"]
    assert await titles("radioactivité", "es") == []
    assert await titles("radioactivity", "pt-BR") == ["Radioactivity today"]  # no translation: the base title


@pytest.mark.parametrize(
    ("translations", "field"),
    [
        ({"de": {"title": "Symmetrie"}}, "translations.de"),
        ({"es": {"title": "x" * 301}}, "translations.es.title"),
        ({"es": {"abstract": "Por qué"}}, "translations.es.abstract"),
        ({"es": {"title": "nul\u0000"}}, "translations.es.title"),
    ],
)
async def test_bad_session_translations_name_the_field(
    client: Client,
    organizer: dict[str, str],
    filled: dict[str, dict[str, Any]],
    translations: dict[str, Any],
    field: str,
) -> None:
    response = await client.patch(
        f"/api/sessions/{filled['radium']['id']}", json={"translations": translations}, headers=organizer
    )

    assert (response.status_code, response.json()["field"]) == (422, field), response.text


async def test_a_draft_change_does_not_invalidate_the_public_list(
    client: Client, organizer: dict[str, str], program: ProgramEvent, filled: dict[str, dict[str, Any]]
) -> None:
    url = f"/api/events/{program.slug}/sessions"
    etag = (await client.get(url)).headers["etag"]

    edited = await client.patch(
        f"/api/sessions/{filled['draft']['id']}", json={"title": "Still secret"}, headers=organizer
    )
    assert (edited.status_code, edited.json()["title"]) == (200, "Still secret"), edited.text
    again = await client.get(url, headers={"If-None-Match": etag})

    assert again.status_code == 304


async def test_if_modified_since_gives_304_and_last_modified_moves_with_changes(
    client: Client, organizer: dict[str, str], program: ProgramEvent, filled: dict[str, dict[str, Any]]
) -> None:
    url = f"/api/sessions/{filled['symmetry']['id']}"
    first = await client.get(url)
    last_modified = first.headers["last-modified"]
    earlier = format_datetime(parsedate_to_datetime(last_modified).replace(year=2020), usegmt=True)

    same = await client.get(url, headers={"If-Modified-Since": last_modified})
    older_copy = await client.get(url, headers={"If-Modified-Since": earlier})
    by_etag = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    edited = await client.patch(url, json={"title": "Symmetry, conserved"}, headers=organizer)
    assert (edited.status_code, edited.json()["title"]) == (200, "Symmetry, conserved"), edited.text
    changed = await client.get(url, headers={"If-None-Match": first.headers["etag"]})

    assert (same.status_code, older_copy.status_code, by_etag.status_code) == (304, 200, 304)
    assert changed.status_code == 200 and changed.json()["sequence"] == 1
    assert parsedate_to_datetime(changed.headers["last-modified"]) >= parsedate_to_datetime(last_modified)
