"""The organizers' review console: assignments adjusted by hand (a conflict of interest refused with its rule)
and decisions taken from the ranked list (checked abstracts, or the top N of a list) leading to the mails'
preview."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from abstracts.models import Abstract, ReviewAssignment
from podium.settings import Settings
from tests.abstracts.review_factories import ReviewCall, add_abstract, build_review_call, make_person
from tests.abstracts.test_review_pages import HTML, csrf_of
from tests.asgi_client import Client
from tests.registration.factories import db_session_for


async def _invite(client: Client, organizer: dict[str, str], built: ReviewCall, email: str) -> str:
    api = f"/api/organizer/events/{built.slug}/review/reviewers"
    response = await client.post(api, json={"email": email}, headers=organizer)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def _assigned(settings: Settings, abstract_id: UUID) -> list[UUID]:
    async with db_session_for(settings) as db_session:
        query = select(ReviewAssignment.reviewer_id).where(ReviewAssignment.abstract_id == abstract_id)
        return list((await db_session.scalars(query)).all())


async def test_hand_assignment_adds_removes_and_refuses_a_conflict_by_name(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    author = await make_person(settings, "Otto Author")
    plain = await make_person(settings, "Pat Plain")
    abstract_id = await add_abstract(
        settings, built, submitter, number=7, authors=[("Otto Author", author.email, "Somewhere")]
    )
    author_id, plain_id = [await _invite(client, organizer, built, p.email) for p in (author, plain)]
    who = {**organizer, **HTML}
    url = f"/organizer/events/{built.slug}/review"
    token = csrf_of((await client.get(url, headers=who)).text)

    def form(reviewer: str, action: str, number: str = "7") -> dict[str, str]:
        return {"_csrf_token": token, "abstract": number, "reviewer": reviewer, "action": action}

    refused = await client.post(f"{url}/assignments", data=form(author_id, "add"), headers=who)
    unknown = await client.post(f"{url}/assignments", data=form(plain_id, "add", number="99"), headers=who)
    added = await client.post(f"{url}/assignments", data=form(plain_id, "add"), headers=who)
    assert await _assigned(settings, abstract_id) == [UUID(plain_id)]
    removed = await client.post(f"{url}/assignments", data=form(plain_id, "remove"), headers=who)
    not_there = await client.post(f"{url}/assignments", data=form(plain_id, "remove"), headers=who)

    assert refused.status_code == 409 and "Refused: conflict of interest" in refused.text
    assert 'id="e-reviewer"' in refused.text and 'href="#f-reviewer"' in refused.text
    assert unknown.status_code == 404 and 'id="e-abstract"' in unknown.text
    assert (added.status_code, added.headers["location"]) == (303, f"{url}?done=added")
    assert (removed.status_code, removed.headers["location"]) == (303, f"{url}?done=removed")
    assert not_there.status_code == 404 and "not assigned to this abstract" in not_there.text
    assert await _assigned(settings, abstract_id) == []


async def test_deciding_the_top_of_a_ranked_list_accepts_them_and_opens_the_mail_preview(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    first, second = [await add_abstract(settings, built, submitter, number=n) for n in (1, 2)]
    who = {**organizer, **HTML}
    url = f"/organizer/events/{built.slug}/review"
    page = await client.get(url, headers=who)
    token = csrf_of(page.text)
    group = f"{built.topics[0]}:{built.types[0]}"
    assert f'value="{group}"' in page.text and f'name="pick-{first}"' in page.text

    nothing = await client.post(
        f"{url}/decide", data={"_csrf_token": token, "group": group, "outcome": "accepted_oral"}, headers=who
    )
    no_outcome = await client.post(
        f"{url}/decide", data={"_csrf_token": token, "group": group, "top": "1"}, headers=who
    )
    best_two = {"_csrf_token": token, "group": group, "top": "2", "outcome": "accepted_oral"}
    top = await client.post(f"{url}/decide", data=best_two, headers=who)
    picked = await client.post(
        f"{url}/decide", data={"_csrf_token": token, f"pick-{second}": "on", "outcome": "rejected"}, headers=who
    )

    assert nothing.status_code == 422 and 'href="#f-top"' in nothing.text
    assert no_outcome.status_code == 422 and 'href="#f-outcome"' in no_outcome.text
    assert top.status_code == 303
    assert top.headers["location"].startswith(f"/organizer/events/{built.slug}/abstracts/decision-mails?ids=")
    assert set(top.headers["location"].partition("ids=")[2].split(",")) == {str(first), str(second)}
    assert picked.headers["location"].endswith(f"?ids={second}")
    async with db_session_for(settings) as db_session:
        statuses = dict((await db_session.execute(select(Abstract.id, Abstract.status))).tuples().all())
    assert (statuses[first], statuses[second]) == ("accepted_oral", "rejected")
    preview = await client.get(picked.headers["location"], headers=who)
    assert preview.status_code == 200 and "Send these 1 decision mail(s)" in preview.text
