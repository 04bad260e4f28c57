"""The public list of accepted abstracts: nothing before the embargo, everything accepted after it (never a
rejected, withdrawn or submitted one, never an email), searchable on titles, keywords, authors and
institutions, as JSON and as a page."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import update

from abstracts.models import Abstract, CallForAbstracts
from podium.settings import Settings
from tests.abstracts.decision_factories import CallFixture, build_call
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import build_program_event, create_session

HTML = {"Accept": "text/html"}


async def accepted_call(client: Client, organizer: dict[str, str], settings: Settings) -> CallFixture:
    """Four abstracts: an oral, a poster, a rejected one and one left submitted; the embargo a day ahead."""
    call = await build_call(settings, abstracts=4, embargo_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    for ids, outcome in (([0], "accepted_oral"), ([1], "accepted_poster"), ([2], "rejected")):
        response = await client.post(
            f"/api/organizer/events/{call.slug}/abstracts/decisions",
            json={"abstract_ids": [str(call.abstracts[i]) for i in ids], "outcome": outcome},
            headers=organizer,
        )
        assert response.status_code == 200, response.text
    return call


async def lift_embargo(settings: Settings, call_id: UUID) -> None:
    """The embargo passes: it is moved to a second ago (the rule is checked on every request)."""
    async with db_session_for(settings) as db_session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await db_session.execute(
            update(CallForAbstracts)
            .where(CallForAbstracts.id == call_id)
            .values(embargo_until=past, closes_at=past - dt.timedelta(days=1), opens_at=past - dt.timedelta(days=2))
        )
        await db_session.commit()


async def test_nothing_is_public_before_the_embargo_and_the_accepted_are_after(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await accepted_call(client, organizer, settings)
    url = f"/api/events/{call.slug}/accepted-abstracts"

    before = await client.get(url)
    page_before = await client.get(f"/events/{call.slug}/accepted-abstracts", headers=HTML)
    await lift_embargo(settings, call.call_id)
    after = await client.get(url)
    page_after = await client.get(f"/events/{call.slug}/accepted-abstracts", headers=HTML)

    assert before.status_code == 200
    assert (before.json()["published"], before.json()["abstracts"]) == (False, [])
    assert "lipid rafts" not in before.text
    assert 'id="embargoed"' in page_before.text and "lipid rafts" not in page_before.text
    shown = after.json()
    assert shown["published"] is True
    assert [(a["number"], a["kind"]) for a in shown["abstracts"]] == [(1, "oral"), (2, "poster")]
    assert [x["name"] for x in shown["abstracts"][0]["authors"]] == ["First Author 1", "Presenting Author 1"]
    assert shown["abstracts"][0]["body_html"] == "<p>Body of abstract 1: methods, results and conclusions.</p>"
    assert "@" not in after.text  # no author's email
    assert page_after.text.count('class="stack abstract"') == 2
    assert "Abstract number 1 on lipid rafts" in page_after.text and "Abstract number 3" not in page_after.text


async def test_search_matches_titles_keywords_authors_and_institutions(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await accepted_call(client, organizer, settings)
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Abstract).where(Abstract.id == call.abstracts[1]).values(title="Membranes 100% of the time")
        )
        await db_session.commit()
    await lift_embargo(settings, call.call_id)
    url = f"/api/events/{call.slug}/accepted-abstracts"

    def numbers(response: object) -> list[int]:
        return [a["number"] for a in response.json()["abstracts"]]  # type: ignore[attr-defined]  # an httpx.Response, typed loosely by the helper

    by_title = await client.get(url, params={"q": "RAFTS"})
    by_keyword = await client.get(url, params={"q": "k2"})
    by_author = await client.get(url, params={"q": "presenting author 2"})
    by_institution = await client.get(url, params={"q": "examples"})
    percent = await client.get(url, params={"q": "100%"})
    nothing = await client.get(url, params={"q": "zebrafish"})
    page = await client.get(f"/events/{call.slug}/accepted-abstracts", params={"q": "k2"}, headers=HTML)

    assert numbers(by_title) == [1]
    assert numbers(by_keyword) == [2]
    assert numbers(by_author) == [2]
    assert numbers(by_institution) == [1, 2]
    assert numbers(percent) == [2]
    assert numbers(nothing) == []
    assert page.text.count('class="stack abstract"') == 1 and 'value="k2"' in page.text


async def test_a_draft_event_and_an_event_without_a_call(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await accepted_call(client, organizer, settings)
    no_call = await build_program_event(settings)
    draft = await build_program_event(settings, status="draft")

    without = await client.get(f"/api/events/{no_call.slug}/accepted-abstracts")
    page = await client.get(f"/events/{no_call.slug}/accepted-abstracts", headers=HTML)
    hidden = await client.get(f"/api/events/{draft.slug}/accepted-abstracts")
    too_long = await client.get(f"/api/events/{call.slug}/accepted-abstracts", params={"q": "x" * 5000})

    assert without.json() == {"published": False, "embargo_until": None, "abstracts": [], "total": 0}
    assert page.status_code == 200 and 'id="no-abstracts"' in page.text
    assert (hidden.status_code, hidden.json()["field"]) == (404, "event")
    assert too_long.status_code in (400, 422)


async def test_search_finds_topics_and_sessions_and_answers_a_page_at_a_time(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await accepted_call(client, organizer, settings)
    session_id = await create_session(client, organizer, call.event, title="Membrane dynamics")
    placed = await client.put(
        f"/api/organizer/events/{call.slug}/abstracts/program/{session_id}/talks",
        json={"talks": [{"abstract_id": str(call.abstracts[0]), "minutes": 15}]},
        headers=organizer,
    )
    assert placed.status_code == 200, placed.text
    await lift_embargo(settings, call.call_id)
    url = f"/api/events/{call.slug}/accepted-abstracts"

    by_topic = await client.get(url, params={"q": "basic science"})
    by_session = await client.get(url, params={"q": "membrane dynamics"})
    first_page = await client.get(url, params={"limit": 1})
    second_page = await client.get(url, params={"limit": 1, "offset": 1})
    refused = await client.get(url, params={"limit": 0})
    page_two = await client.get(f"/events/{call.slug}/accepted-abstracts", params={"page": 2}, headers=HTML)

    assert [a["number"] for a in by_topic.json()["abstracts"]] == [1, 2]
    assert [a["number"] for a in by_session.json()["abstracts"]] == [1]
    assert [(a["number"], first_page.json()["total"]) for a in first_page.json()["abstracts"]] == [(1, 2)]
    assert [(a["number"], second_page.json()["total"]) for a in second_page.json()["abstracts"]] == [(2, 2)]
    assert refused.status_code == 422 and "limit" in refused.text
    assert page_two.status_code == 200 and page_two.text.count('class="stack abstract"') == 0
    assert "2 abstracts." in page_two.text
