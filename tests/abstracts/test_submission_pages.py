"""The submitter's pages: starting a draft, author rows added, removed and moved without losing input, every
mistake next to its field, submitting, withdrawing, and nobody opening another's abstract."""

from __future__ import annotations

import re
from typing import Any

from podium import i18n
from podium.locale_choice import COOKIE
from podium.settings import Settings
from tests.abstracts.factories import Person, complete_abstract, make_event, make_submitter, open_call, type_id
from tests.asgi_client import Client
from tests.page_forms import csrf_of, form_post
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

HTML = {"Accept": "text/html"}


def _marked(page: str) -> list[str]:
    return re.findall(r'<(?:span|p) class="error" id="e-([^"]+)">', page)


def _value(page: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


async def _post(client: Client, person: Person, url: str, fields: dict[str, str], page_url: str | None = None) -> Any:
    return await form_post(client, url, fields, person.headers, page=page_url)


def _authors(*rows: tuple[str, str, str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for i, (name, email, institution, country) in enumerate(rows):
        fields |= {
            f"authors[{i}].full_name": name,
            f"authors[{i}].email": email,
            f"authors[{i}].institution": institution,
            f"authors[{i}].country": country,
            f"authors[{i}].disclosures[0].relationship": "none",
        }
    return fields


async def test_my_abstracts_page_without_a_call(client: Client, settings: Settings) -> None:
    slug, _ = await make_event(settings)
    ada = await make_submitter(settings)

    page = await client.get(f"/events/{slug}/abstracts", headers={**HTML, **ada.headers})
    anonymous = await client.get(f"/events/{slug}/abstracts", headers=HTML)

    assert page.status_code == 200
    assert "has no call for abstracts" in page.text
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")


async def test_author_rows_move_without_losing_input(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    call = await open_call(client, organizer, slug)
    ada = await make_submitter(settings)
    started = await _post(client, ada, f"/events/{slug}/abstracts", {"submission_type_id": type_id(call, "oral")})
    url = started.headers["location"]
    typed = {
        "submission_type_id": type_id(call, "oral"),
        "title": "Δ-opioid receptors & <pain>",
        "body": "Unsaved text, α ≥ β.",  # noqa: RUF001 - Greek letters are the point
        **_authors(("Ada Lovelace", "ada@x.org", "UCL", "GB"), ("Grace Hopper", "", "Yale", "US")),
        "presenting": "1",
    }

    added = await _post(client, ada, url, {**typed, "action": "add_author"})
    moved = await _post(client, ada, url, {**typed, "action": "up_author:1"})
    removed = await _post(client, ada, url, {**typed, "action": "remove_author:0"})

    assert started.status_code == 303
    assert added.status_code == 200
    assert 'id="f-authors[2].full_name"' in added.text
    assert _value(added.text, "title") == "Δ-opioid receptors &amp; &lt;pain&gt;"
    assert "Unsaved text, α ≥ β." in added.text  # noqa: RUF001 - Greek letters are the point
    assert (_value(moved.text, "authors[0].full_name"), _value(moved.text, "authors[1].full_name")) == (
        "Grace Hopper",
        "Ada Lovelace",
    )
    assert 'name="presenting" value="0" checked' in moved.text
    assert _value(removed.text, "authors[0].full_name") == "Grace Hopper"
    assert 'name="presenting" value="0" checked' in removed.text
    saved = await client.get(url.replace("/submissions/", "/api/abstracts/"), headers=ada.headers)
    assert (saved.json()["title"], saved.json()["authors"]) == ("", [])


async def test_submit_page_marks_every_mistake_and_keeps_the_draft(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    call = await open_call(client, organizer, slug)
    ada = await make_submitter(settings)
    started = await _post(client, ada, f"/events/{slug}/abstracts", {"submission_type_id": type_id(call, "oral")})
    url = started.headers["location"]
    form = {
        "submission_type_id": type_id(call, "oral"),
        "topic_id": call["topics"][0]["id"],
        "title": "Calcium handling",
        "body": "Short text.",
        **_authors(("Ada Lovelace", "ada@x.org", "UCL", "GB"), ("", "", "", "")),
        **_authors(("Ada Lovelace", "ada@x.org", "UCL", "GB")),
        "authors[2].full_name": "Grace Hopper",
        "authors[2].country": "Germany",
        "presenting": "0",
        "action": "submit",
    }

    refused = await _post(client, ada, url, form)
    draft = (await client.get(url.replace("/submissions/", "/api/abstracts/"), headers=ada.headers)).json()
    form |= {
        "authors[2].country": "US",
        "authors[2].institution": "Yale",
        "authors[2].disclosures[0].relationship": "none",
        f"answers.{call['questions'][0]['id']}": "No",
    }
    submitted = await _post(client, ada, url, form)
    after = (await client.get(url.replace("/submissions/", "/api/abstracts/"), headers=ada.headers)).json()

    assert refused.status_code == 422
    assert _marked(refused.text) == ["authors[2].country"]
    assert _value(refused.text, "authors[2].full_name") == "Grace Hopper"
    assert draft["status"] == "draft"
    assert submitted.status_code == 303
    assert after["status"] == "submitted"
    assert [a["full_name"] for a in after["authors"]] == ["Ada Lovelace", "Grace Hopper"]


async def test_submit_page_names_the_call_rules(client: Client, organizer: dict[str, str], settings: Settings) -> None:
    slug, _ = await make_event(settings)
    call = await open_call(client, organizer, slug)
    ada = await make_submitter(settings)
    draft = await client.post(
        f"/api/events/{slug}/abstracts", json=complete_abstract(call, ada, body=""), headers=ada.headers
    )
    url = f"/submissions/{draft.json()['id']}"
    fields = {
        "submission_type_id": type_id(call, "oral"),
        "topic_id": call["topics"][0]["id"],
        "title": "",
        "body": "",
        **_authors(("Ada Lovelace", "ada@x.org", "UCL", "GB")),
        "presenting": "0",
        "action": "submit",
    }

    refused = await _post(client, ada, url, fields)

    assert refused.status_code == 422
    assert _marked(refused.text) == ["title", "body", f"answers.{call['questions'][0]['id']}"]
    assert "Your changes were saved as a draft." in refused.text


async def test_withdraw_page_and_anothers_abstract(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    call = await open_call(client, organizer, slug)
    ada = await make_submitter(settings)
    mallory = await make_submitter(settings, "Mallory")
    draft = await client.post(f"/api/events/{slug}/abstracts", json=complete_abstract(call, ada), headers=ada.headers)
    url = f"/submissions/{draft.json()['id']}"

    peek = await client.get(url, headers={**HTML, **mallory.headers})
    withdrawn = await _post(client, ada, f"{url}/withdraw", {}, page_url=url)
    page = await client.get(f"{url}?withdrawn=1", headers={**HTML, **ada.headers})

    assert peek.status_code == 404
    assert "Lovelace" not in peek.text
    assert withdrawn.status_code == 303
    assert "Withdrawn" in page.text
    assert "It can no longer be changed." in page.text


async def test_my_abstracts_page_leads_to_my_registrations_and_orders_and_no_one_elses(
    client: Client, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        await db_session.commit()
    ada, grace = await make_submitter(settings), await make_submitter(settings, "Grace Hopper")
    other = "someone-else@example.org"
    body = order_body(
        attendee(ada.email.upper()), attendee(other, first_name="Alan", last_name="Turing"), buyer_email=grace.email
    )
    placed = await client.post(f"/api/events/{catalog.slug}/orders", json=body)
    assert placed.status_code == 201, placed.text

    as_ada = await client.get(f"/events/{catalog.slug}/abstracts", headers={**HTML, **ada.headers})
    as_grace = await client.get(f"/events/{catalog.slug}/abstracts", headers={**HTML, **grace.headers})
    followed = await client.get(re.findall(r'href="(/registrations/[^"]+)"', as_ada.text)[0].replace("&amp;", "&"))

    assert re.findall(r'href="/(registrations|orders)/', as_ada.text) == ["registrations"]
    assert "Turing" not in as_ada.text
    assert re.findall(r'href="/(registrations|orders)/', as_grace.text) == ["orders", "orders"]
    assert "Turing" in as_grace.text and "Lovelace" in as_grace.text
    assert followed.status_code == 200 and "Lovelace" in followed.text


async def test_submitter_pages_are_translated_in_every_locale(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    """My abstracts, a draft's form with its mistakes shown, and the public list: every message they look up
    has a translation in each shipped locale."""
    slug, _ = await make_event(settings)
    call = await open_call(client, organizer, slug)
    ada = await make_submitter(settings, "Ada Translated")
    started = await _post(client, ada, f"/events/{slug}/abstracts", {"submission_type_id": type_id(call, "oral")})
    url = started.headers["location"]
    seen = {}

    with i18n.recording_misses() as misses:
        for locale in i18n.LOCALES:
            client.cookies.set(COOKIE, locale)
            mine = await client.get(f"/events/{slug}/abstracts", headers={**HTML, **ada.headers})
            form = await client.get(url, headers={**HTML, **ada.headers})
            refused = await client.post(
                url,
                data={"_csrf_token": csrf_of(form.text), "action": "submit", "title": "", "presenting": "0"},
                headers={**HTML, **ada.headers},
            )
            public = await client.get(f"/events/{slug}/accepted-abstracts", headers=HTML)
            lang = f'<html lang="{i18n.html_lang(locale)}">'
            seen[locale] = tuple((p.status_code, lang in p.text) for p in (mine, form, refused, public))
    client.cookies.clear()

    assert seen == dict.fromkeys(i18n.LOCALES, ((200, True), (200, True), (422, True), (200, True)))
    assert sorted(misses) == []
