"""Decisions through the API and the console: bulk decide (all or nothing, bad ids named), the decision mails'
preview (nothing queued), sending each decision's mail once under retries and real races, a changed decision
mailed once more, and the presenting author's confirmation from the mail's link."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import or_, select, update

from abstracts.models import Abstract, CallForAbstracts, Decision
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.attachments import drain_outbox
from registration.models import Category
from tests.abstracts.decision_factories import CallFixture, build_call
from tests.asgi_client import Client
from tests.page_forms import csrf_of
from tests.registration.factories import PRESS_CODE, build_catalog, db_session_for
from tests.sessions.factories import build_program_event

HTML = {"Accept": "text/html"}


class RecordingSender:
    """A mail server that keeps what it is sent."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


@pytest.fixture
async def call(settings: Settings) -> CallFixture:
    return await build_call(settings, abstracts=3, oral_wording="The committee liked your engines very much.")


def api(call: CallFixture, tail: str) -> str:
    return f"/api/organizer/events/{call.slug}/abstracts/{tail}"


async def decide(client: Client, organizer: dict[str, str], call: CallFixture, ids: list[Any], outcome: str) -> Any:
    return await client.post(
        api(call, "decisions"), json={"abstract_ids": [str(i) for i in ids], "outcome": outcome}, headers=organizer
    )


async def decision_mails(settings: Settings, call: CallFixture) -> list[OutboxMessage]:
    """The decision mails queued for the call's abstracts."""
    async with db_session_for(settings) as db_session:
        keys = [OutboxMessage.dedupe_key.like(f"abstract-decision:{i}:%") for i in call.abstracts]
        rows = await db_session.scalars(select(OutboxMessage).where(or_(*keys)).order_by(OutboxMessage.dedupe_key))
        return list(rows.all())


async def test_bulk_decision_sets_each_status_once_and_records_who_decided(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    first, second, third = call.abstracts

    accepted = await decide(client, organizer, call, [first, second], "accepted_oral")
    rejected = await decide(client, organizer, call, [third], "rejected")
    again = await decide(client, organizer, call, [first, second], "accepted_oral")

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["changed"] == 2
    assert [d["status"] for d in accepted.json()["decisions"]] == ["accepted_oral", "accepted_oral"]
    assert rejected.json()["decisions"] == [
        {"abstract_id": str(third), "number": 3, "status": "rejected", "changed": True}
    ]
    assert again.json()["changed"] == 0
    async with db_session_for(settings) as db_session:
        statuses = dict((await db_session.execute(select(Abstract.id, Abstract.status))).tuples().all())
        decisions = (await db_session.scalars(select(Decision).where(Decision.abstract_id.in_(call.abstracts)))).all()
    assert [statuses[i] for i in call.abstracts] == ["accepted_oral", "accepted_oral", "rejected"]
    assert len(decisions) == 3
    assert all(d.decided_by_user_id is not None and d.mailed_outcome is None for d in decisions)


async def test_bulk_decision_with_an_unknown_id_changes_nothing_and_names_its_place(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    other = await build_call(settings, abstracts=1)

    unknown = await decide(client, organizer, call, [call.abstracts[0], uuid4()], "accepted_poster")
    foreign = await decide(client, organizer, call, [other.abstracts[0]], "accepted_poster")
    bad_outcome = await decide(client, organizer, call, [call.abstracts[0]], "maybe")
    empty = await decide(client, organizer, call, [], "rejected")
    not_an_id = await decide(client, organizer, call, ["abstract-1"], "rejected")

    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["field"] == "abstract_ids[1]"
    assert foreign.status_code == 422 and foreign.json()["field"] == "abstract_ids[0]"
    assert bad_outcome.status_code in (400, 422)
    assert "outcome" in bad_outcome.text
    assert empty.status_code in (400, 422) and "abstract_ids" in empty.text
    assert not_an_id.status_code in (400, 422) and "abstract_ids" in not_an_id.text
    async with db_session_for(settings) as db_session:
        status = await db_session.scalar(select(Abstract.status).where(Abstract.id == call.abstracts[0]))
    assert status == "submitted"


async def test_a_draft_is_never_decided_and_a_withdrawn_abstract_is_not_accepted(
    client: Client, organizer: dict[str, str], settings: Settings, call: CallFixture
) -> None:
    drafts = await build_call(settings, abstracts=1, status="draft")
    await decide(client, organizer, call, [call.abstracts[1]], "withdrawn")

    draft = await decide(client, organizer, drafts, drafts.abstracts, "accepted_oral")
    withdrawn = await decide(client, organizer, call, [call.abstracts[0], call.abstracts[1]], "accepted_oral")

    assert (draft.status_code, draft.json()["code"], draft.json()["field"]) == (409, "not_submitted", "abstract_ids[0]")
    assert (withdrawn.status_code, withdrawn.json()["code"]) == (409, "withdrawn")
    assert withdrawn.json()["field"] == "abstract_ids[1]"
    async with db_session_for(settings) as db_session:
        rows = (await db_session.execute(select(Abstract.id, Abstract.status, Abstract.withdrawn_at))).all()
    by_id = {r[0]: r for r in rows}
    assert by_id[call.abstracts[0]][1] == "submitted"  # all or nothing: the first one was not accepted either
    assert by_id[call.abstracts[1]][1] == "withdrawn" and by_id[call.abstracts[1]][2] is not None


async def test_deciding_needs_an_organizer(
    client: Client, staff: dict[str, str], call: CallFixture, organizer: dict[str, str]
) -> None:
    anonymous = await client.post(api(call, "decisions"), json={"abstract_ids": [], "outcome": "rejected"})
    as_staff = await decide(client, staff, call, call.abstracts, "rejected")
    preview_as_staff = await client.post(
        api(call, "decision-mails/preview"), json={"abstract_ids": [str(call.abstracts[0])]}, headers=staff
    )

    assert anonymous.status_code == 401
    assert as_staff.status_code == 403
    assert preview_as_staff.status_code == 403


async def test_preview_shows_each_decision_mail_and_queues_nothing(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    first, second, third = call.abstracts
    await decide(client, organizer, call, [first], "accepted_oral")
    await decide(client, organizer, call, [second], "rejected")

    preview = await client.post(
        api(call, "decision-mails/preview"),
        json={"abstract_ids": [str(first), str(second), str(third)]},
        headers=organizer,
    )

    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert [(p["abstract_id"], p["to"], p["template"]) for p in shown] == [
        (str(first), call.presenters[0], "abstract_accepted_oral"),
        (str(second), call.presenters[1], "abstract_rejected"),
    ]
    assert "The committee liked your engines very much." in shown[0]["text"]
    assert "Dear Presenting Author 1," in shown[0]["text"]
    assert "Abstract 1: Abstract number 1 on lipid rafts" in shown[0]["text"]
    assert "presenting-link-sample" in shown[0]["text"]
    assert shown[0]["subject"] == "Program Test Meeting: your abstract is accepted as an oral presentation (a talk)"
    assert "could not accept it" in shown[1]["text"]
    assert await decision_mails(settings, call) == []


async def test_sending_twice_queues_each_decision_mail_once(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    await decide(client, organizer, call, call.abstracts[:2], "accepted_poster")
    body = {"abstract_ids": [str(i) for i in call.abstracts]}

    first = await client.post(api(call, "decision-mails/send"), json=body, headers=organizer)
    retried = await client.post(api(call, "decision-mails/send"), json=body, headers=organizer)

    assert first.json() == {"queued": 2, "skipped": 1}
    assert retried.json() == {"queued": 0, "skipped": 3}
    mails = await decision_mails(settings, call)
    assert sorted(m.to_address for m in mails) == sorted(call.presenters[:2])
    assert {m.template for m in mails} == {"abstract_accepted_poster"}
    async with db_session_for(settings) as db_session:
        decisions = (await db_session.scalars(select(Decision).where(Decision.abstract_id.in_(call.abstracts)))).all()
    assert sorted((d.mailed_outcome, d.mail_message_id) for d in decisions) == sorted(
        ("accepted_poster", m.id) for m in mails
    )


@pytest.mark.parametrize("racers", [8])
async def test_racing_sends_queue_each_decision_mail_once(
    client: Client, organizer: dict[str, str], settings: Settings, racers: int
) -> None:
    call = await build_call(settings, abstracts=5)
    await decide(client, organizer, call, call.abstracts, "accepted_oral")
    body = {"abstract_ids": [str(i) for i in call.abstracts]}

    answers = await asyncio.gather(
        *(client.post(api(call, "decision-mails/send"), json=body, headers=organizer) for _ in range(racers))
    )

    assert [a.status_code for a in answers] == [200] * racers
    assert sum(a.json()["queued"] for a in answers) == 5
    mails = await decision_mails(settings, call)
    assert sorted(m.to_address for m in mails) == sorted(call.presenters)


async def test_a_changed_decision_is_mailed_once_more_and_the_mail_says_the_new_outcome(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    only = [call.abstracts[0]]
    body = {"abstract_ids": [str(only[0])]}
    await decide(client, organizer, call, only, "accepted_oral")
    await client.post(api(call, "decision-mails/send"), json=body, headers=organizer)

    await decide(client, organizer, call, only, "accepted_poster")
    changed = await client.post(api(call, "decision-mails/send"), json=body, headers=organizer)
    repeated = await client.post(api(call, "decision-mails/send"), json=body, headers=organizer)
    await decide(client, organizer, call, only, "accepted_oral")
    back = await client.post(api(call, "decision-mails/send"), json=body, headers=organizer)

    assert (changed.json()["queued"], repeated.json()["queued"], back.json()["queued"]) == (1, 0, 1)
    mails = await decision_mails(settings, call)
    assert sorted(m.template for m in mails) == [
        "abstract_accepted_oral",
        "abstract_accepted_oral",
        "abstract_accepted_poster",
    ]


async def test_a_decision_without_a_presenting_author_goes_to_the_submitter(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=1, with_presenter=False)
    await decide(client, organizer, call, call.abstracts, "rejected")

    sent = await client.post(
        api(call, "decision-mails/send"), json={"abstract_ids": [str(call.abstracts[0])]}, headers=organizer
    )

    assert sent.json() == {"queued": 1, "skipped": 0}
    assert [m.to_address for m in await decision_mails(settings, call)] == [call.submitter_email]


async def sent_link(settings: Settings, call: CallFixture, to: str) -> str:
    """Drain the outbox and read the presenting link from the mail sent to ``to``."""
    sender = RecordingSender()
    async with db_session_for(settings) as db_session:
        await drain_outbox(db_session, sender, settings)
    mine = [m for m in sender.sent if m["To"] == to]
    assert len(mine) == 1
    text = mine[0].get_body(("plain",))
    assert text is not None
    found = re.search(r"(/abstracts/[0-9a-f-]{36}/presenting\?token=[A-Za-z0-9_-]+)", text.get_content())
    assert found is not None
    return found.group(1)


async def test_presenting_author_confirms_from_the_mail_once_and_is_sent_to_register(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    first = call.abstracts[0]
    await decide(client, organizer, call, [first], "accepted_oral")
    await client.post(api(call, "decision-mails/send"), json={"abstract_ids": [str(first)]}, headers=organizer)
    link = await sent_link(settings, call, call.presenters[0])
    api_link = link.replace("/abstracts/", "/api/abstracts/")

    page = await client.get(link, headers=HTML)
    confirmed = await client.post(api_link)
    twice = await asyncio.gather(client.post(api_link), client.post(api_link))
    wrong = await client.post(api_link[:-3] + "abc")
    other = await client.post(api_link.replace(str(first), str(call.abstracts[1])))

    assert page.status_code == 200 and 'id="confirm-presenting"' in page.text
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["registration_url"].endswith(f"/events/{call.slug}/register")
    assert [t.json()["confirmed_at"] for t in twice] == [confirmed.json()["confirmed_at"]] * 2
    assert (wrong.status_code, wrong.json()["field"]) == (404, "token")
    assert other.status_code == 404
    shown = await client.get(link, headers=HTML)
    assert 'id="presenting-confirmed"' in shown.text and f'href="/events/{call.slug}/register"' in shown.text
    async with db_session_for(settings) as db_session:
        at = await db_session.scalar(select(Abstract.presenting_confirmed_at).where(Abstract.id == first))
    assert at is not None


async def test_a_confirmed_presenter_is_sent_to_the_presenter_category_with_its_access_code(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        speaker = Category(
            event_id=call.event.event_id,
            code="speaker",
            name="Presenter",
            eligibility="access_code",
            access_code="TALK 2027&more",
        )
        db_session.add(speaker)
        await db_session.flush()
        await db_session.execute(
            update(CallForAbstracts).where(CallForAbstracts.id == call.call_id).values(presenter_category_id=speaker.id)
        )
        await db_session.commit()
    first = call.abstracts[0]
    await decide(client, organizer, call, [first], "accepted_oral")
    await client.post(api(call, "decision-mails/send"), json={"abstract_ids": [str(first)]}, headers=organizer)
    link = await sent_link(settings, call, call.presenters[0])

    confirmed = await client.post(link.replace("/abstracts/", "/api/abstracts/"))
    shown = await client.get(link, headers=HTML)

    path = f"/events/{call.slug}/register?category=speaker&code=TALK+2027%26more"
    assert confirmed.json()["registration_url"].endswith(path)
    assert f'href="{path.replace("&", "&amp;")}"' in shown.text


async def test_a_registration_link_may_choose_the_category_and_fill_its_access_code(
    client: Client, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        await db_session.commit()

    page = await client.get(f"/events/{catalog.slug}/register", params={"category": "press", "code": PRESS_CODE})

    assert re.search(r'<input type="radio" id="a0-cat-press" name="a0-category" value="press"[^>]*\bchecked', page.text)
    assert re.search(rf'name="a0-access_code"[^>]*value="{PRESS_CODE}"', page.text)


async def test_a_rejected_abstract_cannot_be_confirmed(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    first = call.abstracts[0]
    await decide(client, organizer, call, [first], "accepted_oral")
    await client.post(api(call, "decision-mails/send"), json={"abstract_ids": [str(first)]}, headers=organizer)
    link = await sent_link(settings, call, call.presenters[0])
    await decide(client, organizer, call, [first], "rejected")

    refused = await client.post(link.replace("/abstracts/", "/api/abstracts/"))
    page = await client.get(link, headers=HTML)

    assert (refused.status_code, refused.json()["code"]) == (409, "not_accepted")
    assert page.status_code == 200 and "confirm-presenting" not in page.text


async def test_console_previews_then_sends_the_chosen_decision_mails(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    await decide(client, organizer, call, call.abstracts[:2], "accepted_oral")
    who = {**organizer, **HTML}
    path = f"/organizer/events/{call.slug}/abstracts/decision-mails"

    page = await client.get(path, headers=who)
    sent = await client.post(path, data={"_csrf_token": csrf_of(page.text), "ids": ""}, headers=who)
    bad = await client.get(f"{path}?ids=nonsense", headers=who)

    assert page.status_code == 200
    assert page.text.count('class="preview-subject"') == 2
    assert sent.status_code == 200 and "2 decision mail(s) queued" in sent.text
    assert len(await decision_mails(settings, call)) == 2
    assert bad.status_code == 422 and "not an abstract id" in bad.text


async def test_console_page_of_an_event_without_a_call_says_so(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    event = await build_program_event(settings)

    page = await client.get(f"/organizer/events/{event.slug}/abstracts/decision-mails", headers={**organizer, **HTML})
    api_preview = await client.post(
        f"/api/organizer/events/{event.slug}/abstracts/decision-mails/preview",
        json={"abstract_ids": [str(uuid4())]},
        headers=organizer,
    )

    assert page.status_code == 200 and "This event has no call for abstracts." in page.text
    assert (api_preview.status_code, api_preview.json()["field"]) == (404, "call")
