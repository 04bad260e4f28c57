"""The review's pages: the organizers' console (invite, assign, progress, ranked lists) and the reviewer's pages,
which show abstracts blind and put every score error next to its criterion."""

from __future__ import annotations

from podium.settings import Settings
from tests.abstracts.review_factories import add_abstract, build_review_call, make_person
from tests.asgi_client import Client
from tests.page_forms import csrf_of

HTML = {"Accept": "text/html"}


async def test_organizer_invites_assigns_and_reads_the_ranked_list_on_the_console(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    reviewer = await make_person(settings, "Rita Reviewer")
    await add_abstract(settings, built, submitter, number=1)
    who = {**organizer, **HTML}
    url = f"/organizer/events/{built.slug}/review"

    page = await client.get(url, headers=who)
    assert page.status_code == 200 and "No reviewers yet" in page.text
    bad = await client.post(
        f"{url}/reviewers", data={"_csrf_token": csrf_of(page.text), "email": "not an email"}, headers=who
    )
    assert bad.status_code == 422 and 'id="e-email"' in bad.text
    invited = await client.post(
        f"{url}/reviewers", data={"_csrf_token": csrf_of(page.text), "email": reviewer.email}, headers=who
    )
    assert invited.status_code == 303
    assigned = await client.post(f"{url}/assign", data={"_csrf_token": csrf_of(page.text)}, headers=who)
    assert assigned.status_code == 303 and "assigned=1" in assigned.headers["location"]

    console = await client.get(assigned.headers["location"], headers=who)
    assert console.status_code == 200
    assert "1 new assignment" in console.text and reviewer.email in console.text
    assert "Cardio · Oral" in console.text and "Abstract number 1 on β-blockers" in console.text


async def test_the_reviewer_pages_are_blind_and_name_each_wrong_score(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    reviewer = await make_person(settings, "Rita Reviewer")
    stranger = await make_person(settings, "Sam Stranger")
    authors = [("Grace Hopper", "grace@navy.test", "Naval Research Lab")]
    abstract_id = await add_abstract(settings, built, submitter, number=1, authors=authors)
    api = f"/api/organizer/events/{built.slug}/review"
    await client.post(f"{api}/reviewers", json={"email": reviewer.email}, headers=organizer)
    await client.post(f"{api}/assignments/auto", headers=organizer)
    who = {**reviewer.headers, **HTML}
    home_url = f"/review/events/{built.slug}"
    page_url = f"{home_url}/abstracts/{abstract_id}"
    originality, clarity = (str(c) for c in built.criteria)

    home = await client.get(home_url, headers=who)
    page = await client.get(page_url, headers=who)
    wrong = await client.post(
        page_url,
        data={
            "_csrf_token": csrf_of(page.text),
            f"scores.{originality}": "9",
            f"scores.{clarity}": "x",
            "action": "submit",
        },
        headers=who,
    )
    out_of_range = await client.post(
        page_url,
        data={
            "_csrf_token": csrf_of(page.text),
            f"scores.{originality}": "9",
            f"scores.{clarity}": "3",
            "action": "submit",
        },
        headers=who,
    )
    done = await client.post(
        page_url,
        data={
            "_csrf_token": csrf_of(page.text),
            f"scores.{originality}": "4",
            f"scores.{clarity}": "3",
            "comments_to_authors": "Fine work.",
            "action": "submit",
        },
        headers=who,
    )
    after = await client.get(done.headers["location"], headers=who)

    assert (home.status_code, page.status_code) == (200, 200)
    assert "Abstract number 1 on β-blockers" in home.text and "µ-opioid" in page.text
    assert "H<sub>2</sub>O &lt;b&gt;unsafe&lt;/b&gt;" in page.text  # the formatting subset, and nothing else
    assert wrong.status_code == 422 and f'id="e-scores.{clarity}"' in wrong.text
    assert out_of_range.status_code == 422
    assert "Originality: between 1 and 5" in out_of_range.text and f'id="e-scores.{originality}"' in out_of_range.text
    assert done.status_code == 303 and after.status_code == 200 and "Review submitted" in after.text
    seen = "\n".join(p.text for p in (home, page, wrong, out_of_range, after)).lower()
    assert sorted(s for s in built.author_strings if s.lower() in seen) == []
    assert (await client.get(page_url, headers={**stranger.headers, **HTML})).status_code == 404
    assert (await client.get(home_url, headers=HTML)).status_code in (302, 303, 401)


async def test_the_reviewer_declares_topics_and_conflicts_on_their_page(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings)
    reviewer = await make_person(settings, "Rita Reviewer")
    await client.post(
        f"/api/organizer/events/{built.slug}/review/reviewers", json={"email": reviewer.email}, headers=organizer
    )
    who = {**reviewer.headers, **HTML}
    url = f"/review/events/{built.slug}"
    page = await client.get(url, headers=who)

    bad = await client.post(
        f"{url}/profile",
        data={"_csrf_token": csrf_of(page.text), "conflict_emails": "not-an-email"},
        headers=who,
    )
    saved = await client.post(
        f"{url}/profile",
        data={
            "_csrf_token": csrf_of(page.text),
            f"topic-{built.topics[1]}": "on",
            "institutions": "Karolinska Institutet\n\nMIT",
            "conflict_emails": "rival@lab.test",
        },
        headers=who,
    )
    profile = (await client.get(f"/api/review/events/{built.slug}/me", headers=reviewer.headers)).json()

    assert bad.status_code == 422 and 'id="e-conflict_emails"' in bad.text
    assert saved.status_code == 303
    assert profile["topic_ids"] == [str(built.topics[1])]
    assert profile["institutions"] == ["Karolinska Institutet", "MIT"]
    assert [c["author_email"] for c in profile["conflicts"]] == ["rival@lab.test"]
