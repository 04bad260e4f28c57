"""The call for abstracts: an organizer writes it whole, times in the event's zone, every wrong field named."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from podium.settings import Settings
from tests.abstracts.factories import ZONE, call_body, make_event, make_submitter, open_call
from tests.asgi_client import Client


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def test_call_times_are_read_in_the_events_zone(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    body = call_body(opens_at="2026-11-02T09:00:00", closes_at="2027-01-15T23:59:00")

    call = await open_call(client, organizer, slug, **body)

    assert call["times"]["local_opens_at"] == "2026-11-02T09:00"
    assert call["times"]["timezone"] == ZONE
    opens = dt.datetime.fromisoformat(call["times"]["opens_at"])
    assert opens == dt.datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo(ZONE))
    assert opens.utcoffset() == dt.timedelta(0)
    assert [t["key"] for t in call["submission_types"]] == ["oral", "poster", "late_breaking"]
    late = call["submission_types"][2]
    assert late["closes_at"] == call["times"]["late_breaking_closes_at"]
    assert [c["name"] for c in call["rubric"]] == ["Novelty", "Methods"]


async def test_call_rewrite_keeps_named_items_and_drops_the_rest(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    first = await open_call(client, organizer, slug)
    oncology = first["topics"][1]

    second = await open_call(
        client,
        organizer,
        slug,
        topics=[{"id": oncology["id"], "name": "Oncology & haematology"}, {"name": "Neurology"}],
    )

    assert [t["name"] for t in second["topics"]] == ["Oncology & haematology", "Neurology"]
    assert second["topics"][0]["id"] == oncology["id"]
    assert second["id"] == first["id"]


async def test_call_date_rules_name_each_field(client: Client, organizer: dict[str, str], settings: Settings) -> None:
    slug, _ = await make_event(settings)
    body = call_body(
        opens_at="2027-02-01T09:00:00",
        closes_at="2027-01-01T09:00:00",
        late_breaking_opens_at="2026-12-01T09:00:00",
        late_breaking_closes_at="2026-11-01T09:00:00",
        embargo_until="2026-10-01T00:00:00",
    )

    response = await client.put(f"/api/events/{slug}/call-for-abstracts", json=body, headers=organizer)

    assert response.status_code == 422
    assert _fields(response) == ["closes_at", "late_breaking_opens_at", "late_breaking_closes_at", "embargo_until"]
    again = await client.get(f"/api/events/{slug}/call-for-abstracts", headers=organizer)
    assert again.status_code == 404


async def test_call_refuses_a_local_time_the_clocks_skip(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)

    response = await client.put(
        f"/api/events/{slug}/call-for-abstracts",
        json=call_body(
            opens_at="2027-03-28T02:30:00",
            closes_at="2027-04-28T02:30:00",
            embargo_until="2027-05-01T00:00:00",
            late_breaking_opens_at=None,
            late_breaking_closes_at=None,
            submission_types=[{"key": "oral", "name": "Oral"}],
        ),
        headers=organizer,
    )

    assert response.status_code == 422
    assert _fields(response) == ["opens_at"]


async def test_call_half_a_late_window_and_late_types_without_one(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)

    half = await client.put(
        f"/api/events/{slug}/call-for-abstracts",
        json=call_body(late_breaking_closes_at=None),
        headers=organizer,
    )
    none = await client.put(
        f"/api/events/{slug}/call-for-abstracts",
        json=call_body(late_breaking_opens_at=None, late_breaking_closes_at=None),
        headers=organizer,
    )

    assert half.status_code == 422
    assert "late_breaking_closes_at" in _fields(half)
    assert none.status_code == 422
    assert _fields(none) == ["submission_types[2].is_late_breaking"]


async def test_call_list_rules_name_the_item(client: Client, organizer: dict[str, str], settings: Settings) -> None:
    slug, _ = await make_event(settings)
    body = call_body(
        submission_types=[{"key": "oral", "name": "Oral"}, {"key": "oral", "name": "Oral again"}],
        topics=[{"name": "Cardiology"}, {"name": "cardiology"}],
        rubric=[{"name": "Novelty", "min_score": 5, "max_score": 5}],
        submission_fee_category_id="00000000-0000-4000-8000-000000000001",
        presenter_category_id="00000000-0000-4000-8000-000000000002",
    )

    response = await client.put(f"/api/events/{slug}/call-for-abstracts", json=body, headers=organizer)

    assert response.status_code == 422
    assert _fields(response) == [
        "submission_types[1].key",
        "topics[1].name",
        "rubric[0].max_score",
        "submission_fee_category_id",
        "presenter_category_id",
    ]


async def test_call_shape_limits_are_422(client: Client, organizer: dict[str, str], settings: Settings) -> None:
    slug, _ = await make_event(settings)

    too_many_words = await client.put(
        f"/api/events/{slug}/call-for-abstracts",
        json=call_body(submission_types=[{"key": "oral", "name": "Oral", "body_word_limit": 0}]),
        headers=organizer,
    )
    unknown_kind = await client.put(
        f"/api/events/{slug}/call-for-abstracts",
        json=call_body(submission_types=[{"key": "keynote", "name": "Keynote"}]),
        headers=organizer,
    )
    year = await client.put(
        f"/api/events/{slug}/call-for-abstracts", json=call_body(opens_at="0001-01-01T00:00:00"), headers=organizer
    )

    assert too_many_words.status_code == 422
    assert too_many_words.json()["field"] == "submission_types[0].body_word_limit"
    assert unknown_kind.status_code == 422
    assert unknown_kind.json()["field"] == "submission_types[0].key"
    assert year.status_code == 422
    assert _fields(year)[0] == "opens_at"


async def test_call_item_of_another_call_is_refused(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    one, _ = await make_event(settings)
    other, _ = await make_event(settings)
    foreign = (await open_call(client, organizer, other))["topics"][0]["id"]

    response = await client.put(
        f"/api/events/{one}/call-for-abstracts",
        json=call_body(topics=[{"id": foreign, "name": "Cardiology"}]),
        headers=organizer,
    )

    assert response.status_code == 422
    assert response.json()["field"] == "topics[0].id"


async def test_call_is_the_organizers_submitters_see_its_open_part(
    client: Client, organizer: dict[str, str], staff: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings)
    await open_call(client, organizer, slug, reject_wording="Thank you for submitting.")
    submitter = await make_submitter(settings)

    staff_write = await client.put(f"/api/events/{slug}/call-for-abstracts", json=call_body(), headers=staff)
    anonymous = await client.get(f"/api/events/{slug}/abstract-call")
    seen = await client.get(f"/api/events/{slug}/abstract-call", headers=submitter.headers)

    assert staff_write.status_code == 403
    assert anonymous.status_code == 401
    assert seen.status_code == 200
    assert set(seen.json()) == {
        "event",
        "event_name",
        "times",
        "disclosure_required",
        "submission_fee_category_id",
        "submission_types",
        "topics",
        "questions",
    }
    assert "Thank you" not in seen.text


async def test_draft_events_call_is_hidden_from_submitters(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, _ = await make_event(settings, status="draft")
    await open_call(client, organizer, slug)
    submitter = await make_submitter(settings)

    response = await client.get(f"/api/events/{slug}/abstract-call", headers=submitter.headers)

    assert response.status_code == 404
