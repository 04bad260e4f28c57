"""The organizer's call page: opening a call from an empty form, and mistakes marked on their rows."""

from __future__ import annotations

import re
from typing import Any

from podium.settings import Settings
from tests.abstracts.factories import make_event
from tests.asgi_client import Client
from tests.page_forms import form_post

HTML = {"Accept": "text/html"}


def _form(**overrides: str) -> dict[str, str]:
    fields = {
        "opens_at": "2027-01-10T09:00",
        "closes_at": "2027-02-10T23:59",
        "embargo_until": "2027-05-01T00:00",
        "reviews_per_abstract": "3",
        "blind": "on",
        "submission_types[0].key": "oral",
        "submission_types[0].name": "Oral",
        "submission_types[0].body_word_limit": "250",
        "submission_types[0].title_max_chars": "150",
        "topics[0].name": "Cardiology",
        "topics[1].name": "",
        "topics[2].name": "Oncology",
        "rubric[0].name": "Novelty",
        "rubric[0].weight": "2",
        "rubric[0].min_score": "1",
        "rubric[0].max_score": "5",
    }
    fields.update(overrides)
    return fields


async def test_call_page_opens_a_call_in_the_events_zone(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    url = f"/organizer/events/{slug}/call-for-abstracts"

    saved = await form_post(client, url, _form(), organizer)

    assert saved.status_code == 303
    call: dict[str, Any] = (await client.get(f"/api/events/{slug}/call-for-abstracts", headers=organizer)).json()
    assert call["times"]["local_opens_at"] == "2027-01-10T09:00"
    assert call["times"]["opens_at"].startswith("2027-01-10T08:00:00")
    assert [t["name"] for t in call["topics"]] == ["Cardiology", "Oncology"]
    assert [(t["key"], t["body_word_limit"]) for t in call["submission_types"]] == [("oral", 250)]
    assert call["blind"] is True
    assert call["disclosure_required"] is False
    page = await client.get(url, headers={**HTML, **organizer})
    assert 'value="Oncology"' in page.text
    assert 'value="2027-01-10T09:00"' in page.text


async def test_call_page_marks_each_mistake_on_its_row(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    url = f"/organizer/events/{slug}/call-for-abstracts"

    response = await form_post(
        client,
        url,
        _form(
            closes_at="2027-01-01T09:00",
            **{"topics[2].name": "cardiology", "rubric[0].max_score": "1"},
        ),
        organizer,
    )

    assert response.status_code == 422
    marked = re.findall(r'<span class="error" id="e-([^"]+)">', response.text)
    assert marked == ["closes_at", "topics[2].name", "rubric[0].max_score"]
    assert 'value="cardiology"' in response.text
    missing = await client.get(f"/api/events/{slug}/call-for-abstracts", headers=organizer)
    assert missing.status_code == 404
