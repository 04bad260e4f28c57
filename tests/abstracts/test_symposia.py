"""Symposium proposals: a chair and between the type's min and max talks, each talk checked by its own type's
rules and named on its place (``talks[1].body``); the proposal and its talks submitted and withdrawn together;
reviewed as the proposal; deciding it decides its talks, and placing it in a session places its talks in order."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from abstracts.review_facts import abstract_facts
from podium.settings import Settings
from tests.abstracts.factories import Person, author, complete_abstract, make_submitter, open_call, type_id
from tests.abstracts.test_submission_pages import HTML
from tests.asgi_client import Client
from tests.page_forms import csrf_of
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, build_program_event, create_session

TYPES = [
    {"key": "oral", "name": "Oral", "body_word_limit": 20, "title_max_chars": 60},
    {"key": "symposium", "name": "Symposium", "is_symposium": True, "min_talks": 2, "max_talks": 3},
]


async def _call(
    client: Client, organizer: dict[str, str], settings: Settings
) -> tuple[str, dict[str, Any], ProgramEvent]:
    program = await build_program_event(settings)
    return program.slug, await open_call(client, organizer, program.slug, submission_types=TYPES), program


async def _create(client: Client, slug: str, person: Person, body: dict[str, Any]) -> str:
    response = await client.post(f"/api/events/{slug}/abstracts", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _proposal(
    client: Client, slug: str, call: dict[str, Any], ada: Person, *, talks: int, chair: str = "Rosalind Franklin"
) -> tuple[str, list[str]]:
    proposal = await _create(
        client,
        slug,
        ada,
        complete_abstract(
            call,
            ada,
            submission_type_id=type_id(call, "symposium"),
            title="Calcium in the failing heart",
            body="Why these talks belong together.",
            chair=chair,
        ),
    )
    talk_ids = [
        await _create(
            client,
            slug,
            ada,
            complete_abstract(
                call,
                ada,
                title=f"Talk {n + 1}",
                parent_abstract_id=proposal,
                authors=[author(f"Speaker {n + 1}", f"speaker{n + 1}@example.org", presenting=True)],
            ),
        )
        for n in range(talks)
    ]
    return proposal, talk_ids


async def test_a_proposal_names_every_broken_rule_on_its_field_and_talk(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, _program = await _call(client, organizer, settings)
    ada = await make_submitter(settings)
    lone, _ = await _proposal(client, slug, call, ada, talks=1)
    proposal, talks = await _proposal(client, slug, call, ada, talks=2, chair="")
    await client.patch(f"/api/abstracts/{talks[1]}", json={"body": "word " * 21}, headers=ada.headers)

    too_few = await client.post(f"/api/abstracts/{lone}/submit", headers=ada.headers)
    broken = await client.post(f"/api/abstracts/{proposal}/submit", headers=ada.headers)
    talk_alone = await client.post(f"/api/abstracts/{talks[0]}/submit", headers=ada.headers)
    statuses = [(await client.get(f"/api/abstracts/{i}", headers=ada.headers)).json()["status"] for i in talks]

    assert too_few.status_code == 422 and [e["field"] for e in too_few.json()["errors"]] == ["talks"]
    assert "at least 2" in too_few.json()["errors"][0]["message"]
    assert broken.status_code == 422
    assert [e["field"] for e in broken.json()["errors"]] == ["chair", "talks[1].body"]
    assert (talk_alone.status_code, talk_alone.json()["code"]) == (409, "submitted_with_proposal")
    assert statuses == ["draft", "draft"]


async def test_a_proposal_and_its_talks_are_submitted_and_withdrawn_together(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, _program = await _call(client, organizer, settings)
    ada = await make_submitter(settings)
    proposal, talks = await _proposal(client, slug, call, ada, talks=3)

    submitted = await client.post(f"/api/abstracts/{proposal}/submit", headers=ada.headers)
    numbered = [(await client.get(f"/api/abstracts/{i}", headers=ada.headers)).json() for i in talks]
    talk_withdrawn = await client.post(f"/api/abstracts/{talks[0]}/withdraw", headers=ada.headers)
    async with db_session_for(settings) as db_session:
        reviewed = [f.id for f in await abstract_facts(db_session, UUID(call["id"]))]
    withdrawn = await client.post(f"/api/abstracts/{proposal}/withdraw", headers=ada.headers)
    after = [(await client.get(f"/api/abstracts/{i}", headers=ada.headers)).json()["status"] for i in talks]

    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["chair"] == "Rosalind Franklin"
    assert [t["status"] for t in numbered] == ["submitted"] * 3
    assert [t["number"] for t in numbered] == [2, 3, 4] and submitted.json()["number"] == 1
    assert (talk_withdrawn.status_code, talk_withdrawn.json()["code"]) == (409, "withdrawn_with_proposal")
    assert reviewed == [UUID(proposal)]  # the talks are reviewed as the proposal
    assert withdrawn.json()["status"] == "withdrawn" and after == ["withdrawn"] * 3


async def test_accepting_a_proposal_accepts_its_talks_and_placing_it_places_them_in_order(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, program = await _call(client, organizer, settings)
    ada = await make_submitter(settings)
    proposal, talks = await _proposal(client, slug, call, ada, talks=2)
    assert (await client.post(f"/api/abstracts/{proposal}/submit", headers=ada.headers)).status_code == 200
    base = f"/api/organizer/events/{slug}/abstracts"

    decided = await client.post(
        f"{base}/decisions", json={"abstract_ids": [proposal], "outcome": "accepted_oral"}, headers=organizer
    )
    session = await create_session(client, organizer, program, title="Calcium in the failing heart")
    placed = await client.put(
        f"{base}/program/{session}/talks", json={"talks": [{"abstract_id": proposal, "minutes": 20}]}, headers=organizer
    )

    assert decided.status_code == 200, decided.text
    assert placed.status_code == 200, placed.text
    assert [(t["abstract_id"], t["position"], t["minutes"]) for t in placed.json()] == [
        (talks[0], 0, 20),
        (talks[1], 1, 20),
    ]


async def test_the_proposal_page_has_a_chair_lists_talks_and_adds_one(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, _program = await _call(client, organizer, settings)
    ada = await make_submitter(settings)
    proposal, talks = await _proposal(client, slug, call, ada, talks=1)
    headers = {**HTML, **ada.headers}
    page = await client.get(f"/submissions/{proposal}", headers=headers)
    token = csrf_of(page.text)

    added = await client.post(f"/submissions/{proposal}/talks", data={"_csrf_token": token}, headers=headers)
    new_talk = added.headers["location"].removeprefix("/submissions/")
    talk_page = await client.get(added.headers["location"], headers=headers)
    listed = await client.get(f"/submissions/{proposal}", headers=headers)
    read = await client.get(f"/api/abstracts/{proposal}", headers=ada.headers)

    assert 'id="f-chair"' in page.text and 'value="Rosalind Franklin"' in page.text
    assert 'id="talks"' in page.text and f'href="/submissions/{talks[0]}"' in page.text
    assert added.status_code == 303
    assert 'id="talk-of"' in talk_page.text and f'href="/submissions/{proposal}"' in talk_page.text
    assert f'href="/submissions/{new_talk}"' in listed.text
    assert read.json()["talk_ids"] == [talks[0], new_talk]


async def test_reviewers_read_the_proposals_talks_without_their_authors(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, _program = await _call(client, organizer, settings)
    ada, rae = await make_submitter(settings), await make_submitter(settings, "Rae Reviewer")
    proposal, _talks = await _proposal(client, slug, call, ada, talks=2)
    await client.post(f"/api/abstracts/{proposal}/submit", headers=ada.headers)
    invited = await client.post(
        f"/api/organizer/events/{slug}/review/reviewers", json={"email": rae.email}, headers=organizer
    )
    assert invited.status_code == 200, invited.text
    await client.post(f"/api/organizer/events/{slug}/review/assignments/auto", headers=organizer)

    read = await client.get(f"/api/review/events/{slug}/abstracts/{proposal}", headers=rae.headers)
    page = await client.get(f"/review/events/{slug}/abstracts/{proposal}", headers={**HTML, **rae.headers})

    assert read.status_code == 200, read.text
    assert [t["title"] for t in read.json()["talks"]] == ["Talk 1", "Talk 2"]
    assert page.text.count("<h3>Talk ") == 2
    for name in ("Speaker 1", "speaker1@example.org", "Rosalind", ada.name):
        assert name not in read.text and name not in page.text


async def test_a_submitted_proposal_cannot_be_edited_out_of_its_rules(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, _program = await _call(client, organizer, settings)
    ada = await make_submitter(settings)
    proposal, _talks = await _proposal(client, slug, call, ada, talks=2)
    await client.post(f"/api/abstracts/{proposal}/submit", headers=ada.headers)

    chairless = await client.patch(f"/api/abstracts/{proposal}", json={"chair": " "}, headers=ada.headers)
    renamed = await client.patch(f"/api/abstracts/{proposal}", json={"chair": "Dorothy Hodgkin"}, headers=ada.headers)

    assert chairless.status_code == 422 and [e["field"] for e in chairless.json()["errors"]] == ["chair"]
    assert renamed.status_code == 200 and renamed.json()["chair"] == "Dorothy Hodgkin"
