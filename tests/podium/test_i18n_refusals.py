"""Every refusal an API or page answers with is translatable (issue 17): none is built from values where a catalog
can't find it, every literal one is in the catalogs, and a caller asking in Spanish or French reads the detail
and the field messages in that language, with the values they sent as they sent them."""

from __future__ import annotations

import secrets
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from podium.settings import Settings
from tests.asgi_client import Client
from tests.podium.conftest import PACKAGES, ROOT
from tests.podium.refusal_scan import scan
from tests.sessions.factories import at, build_program_event, create_session


def test_the_scan_finds_every_way_a_refusal_is_built_from_values(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "rules.py").write_text(
        textwrap.dedent(
            """
            from podium.errors import Conflict, FieldError, InvalidInput
            from podium.i18n import N_, gettext

            class SoldOut(Conflict):
                pass

            def add_unique(row, taken):
                raise Conflict(taken, field="code")

            def check(code, errors, n):
                raise InvalidInput(f"no item {code!r}", field="code")
                raise SoldOut("only %d left" % n)
                raise Conflict("item {} is gone".format(code))
                raise InvalidInput("the code " + code + " is wrong")
                raise InvalidInput("a literal nobody marked")
                errors.append(FieldError("code", f"{code} twice"))
                detail = f"{n} problems"
                raise InvalidInput(detail, errors=errors)
                add_unique(code, f"the code {code} exists")
                raise InvalidInput(N_("marked"), field="code")
                raise InvalidInput(gettext("no item %(code)s") % {"code": code}, field="code")
            """
        )
    )

    found = scan(tmp_path, ("shop",))

    assert sorted((f.line, f.why) for f in found.findings) == [
        (12, "f-string"),
        (13, "% on a literal"),
        (14, ".format"),
        (15, "+ of text"),
        (17, "f-string"),
        (18, "f-string"),
        (20, "f-string"),
    ]
    assert [(f.line, f.text) for f in found.literals] == [(16, "a literal nobody marked")]


def test_no_refusal_is_built_from_values() -> None:
    """Fails on any refusal written with an f-string, ``%`` on a literal, ``.format`` or ``+``: write it as
    ``gettext("... %(name)s ...") % {"name": value}`` (``ngettext`` for a count) and translate it."""
    findings = scan(ROOT, PACKAGES).findings

    assert sorted(findings) == []


def test_every_literal_refusal_is_in_the_catalogs(extracted: set[str]) -> None:
    """Fails on a literal refusal babel never extracts: mark it ``N_("...")`` and translate it."""
    unmarked = sorted(f for f in scan(ROOT, PACKAGES).literals if f.text not in extracted)

    assert unmarked == []


def _event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": f"refusals-{secrets.token_hex(4)}",
        "name": "Annual Meeting 2027",
        "kind": "annual_meeting",
        "timezone": "America/New_York",
        "venue": "Hynes Convention Center",
        "city": "Boston, MA",
        "start_date": "2027-04-14",
        "end_date": "2027-04-18",
    }
    return body | overrides


def _said(response: httpx.Response) -> tuple[int, str, str, list[dict[str, str]]]:
    problem = response.json()
    return response.status_code, problem["field"], problem["detail"], problem["errors"]


@pytest.mark.parametrize(
    ("language", "overrides", "field", "detail"),
    [
        ("es", {"end_date": "2027-04-13"}, "end_date", "el evento no puede terminar antes de empezar"),
        ("fr", {"end_date": "2027-06-30"}, "end_date", "un événement dure au plus 31 jours"),
        ("en", {"end_date": "2027-06-30"}, "end_date", "an event lasts at most 31 days"),
        ("zh-CN", {"start_date": "9999-12-31", "end_date": "9999-12-31"}, "start_date", "必须介于 2000 和 2100 之间"),
        (
            "pt-BR",
            {"timezone": "Mars/Olympus_Mons"},
            "timezone",
            "fuso horário IANA desconhecido 'Mars/Olympus_Mons' (por exemplo America/New_York)",
        ),
        (
            "fr",
            {"translations": {"de": {"description": "Jahrestagung"}}},
            "translations.de",
            "'de' n'est pas une langue fournie par Podium ; utilisez l'une de celles-ci : en, es, fr, pt_BR, zh_Hans",
        ),
    ],
)
async def test_an_event_date_rule_is_refused_in_the_callers_language(
    client: Client, organizer: dict[str, str], language: str, overrides: dict[str, Any], field: str, detail: str
) -> None:
    response = await client.post(
        "/api/events", json=_event_body(**overrides), headers={**organizer, "Accept-Language": language}
    )

    assert _said(response) == (422, field, detail, [{"field": field, "message": detail}])


async def test_a_taken_slug_is_refused_in_spanish_with_the_slug_as_sent(
    client: Client, organizer: dict[str, str]
) -> None:
    first = await client.post("/api/events", json=_event_body(slug="refusals-taken"), headers=organizer)

    again = await client.post(
        "/api/events", json=_event_body(slug="refusals-taken"), headers={**organizer, "Accept-Language": "es"}
    )

    assert first.status_code == 201
    detail = "el slug 'refusals-taken' ya está en uso"
    assert _said(again) == (409, "slug", detail, [{"field": "slug", "message": detail}])


async def test_a_missing_event_is_named_in_french(client: Client) -> None:
    response = await client.get("/api/events/no-such-meeting", headers={"Accept-Language": "fr"})

    assert _said(response) == (
        404,
        "event",
        "aucun événement 'no-such-meeting'",
        [{"field": "event", "message": "aucun événement 'no-such-meeting'"}],
    )


async def test_a_program_conflict_is_refused_in_french_with_its_titles_as_given(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    hall = str(program.rooms["Hall A"])
    first = {"title": "Mitochondria in health", "ends_at": at(1, 10, 30), "room_id": hall}
    await create_session(client, organizer, program, **first)
    second = await create_session(
        client, organizer, program, title="Clash", starts_at=at(1, 10), ends_at=at(1, 11), room_id=hall, status="draft"
    )

    refused = await client.post(
        f"/api/sessions/{second}/publish", json={}, headers={**organizer, "Accept-Language": "fr"}
    )

    clash = (
        "Hall A est réservée deux fois : 'Mitochondria in health' (dim. 14 mars, 09:00) et 'Clash' "
        "(dim. 14 mars, 10:00) se chevauchent"
    )
    assert _said(refused) == (
        409,
        "override_conflicts",
        "la publication a été refusée : 1 conflit ; résolvez-le ou passez outre explicitement "
        "(override_conflicts: true)",
        [{"field": "room_double_booked", "message": clash}],
    )


async def test_a_room_in_use_is_refused_in_spanish_naming_what_uses_it(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    await create_session(client, organizer, program, room_id=str(program.rooms["Room 101"]))

    refused = await client.delete(
        f"/api/events/{program.slug}/rooms/{program.rooms['Room 101']}", headers={**organizer, "Accept-Language": "es"}
    )

    detail = "1 sesión del programa hace referencia a este elemento (sala): cámbialo o elimínalo primero"
    assert _said(refused) == (409, "room_id", detail, [{"field": "room_id", "message": detail}])


async def test_a_session_ending_before_it_starts_is_refused_in_portuguese(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    body = {"title": "Backwards", "kind": "symposium", "starts_at": at(1, 10), "ends_at": at(1, 9)}

    refused = await client.post(
        f"/api/events/{program.slug}/sessions", json=body, headers={**organizer, "Accept-Language": "pt-BR"}
    )

    detail = "uma sessão deve terminar depois de começar"
    assert _said(refused) == (422, "ends_at", detail, [{"field": "ends_at", "message": detail}])


async def test_a_body_that_breaks_the_schema_is_refused_in_sentences_in_the_callers_language(
    client: Client, organizer: dict[str, str]
) -> None:
    body = _event_body(kind="festival")
    english = await client.post("/api/events", json=body, headers=organizer)
    spanish = await client.post("/api/events", json=body, headers={**organizer, "Accept-Language": "es"})

    # English API clients keep msgspec's own words; a reader in another language gets the forms' sentence.
    assert (english.status_code, english.json()["field"]) == (422, "kind"), english.text
    assert english.json()["errors"][0]["message"].startswith("Invalid enum value 'festival'")
    assert (spanish.status_code, spanish.json()["field"]) == (422, "kind"), spanish.text
    message = spanish.json()["errors"][0]["message"]
    assert message == "Elige una de las opciones para kind.", message
    assert spanish.json()["detail"] == f"kind: {message}"
