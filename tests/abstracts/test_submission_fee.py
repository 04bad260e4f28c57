"""The submission fee: a call naming a fee category needs a paid order for it by the submitter before a
first submit (402 ``submission_fee_unpaid`` with the catalog link, the category chosen); drafts never need it;
once paid, submitting goes through; a fee cancelled later leaves submitted abstracts as they are and the next
submit needs a fee again."""

from __future__ import annotations

import re
from typing import Any

from podium.settings import Settings
from tests.abstracts.factories import Person, complete_abstract, make_submitter, open_call
from tests.abstracts.test_submission_pages import HTML
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


async def _fee_call(client: Client, organizer: dict[str, str], settings: Settings) -> tuple[str, dict[str, Any]]:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    call = await open_call(client, organizer, catalog.slug, submission_fee_category_id=str(catalog.non_member.id))
    return catalog.slug, call


async def _draft(client: Client, slug: str, call: dict[str, Any], person: Person) -> str:
    response = await client.post(
        f"/api/events/{slug}/abstracts", json=complete_abstract(call, person), headers=person.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _pay_fee(client: Client, slug: str, email: str, *, as_buyer: bool = False) -> dict[str, Any]:
    """A paid non-member registration: for the submitter as the attendee, or bought by them for a colleague."""
    person = attendee(None if as_buyer else email, category="non-member", member_number=None)
    body = order_body(person, buyer_email=email if as_buyer else "someone@example.org")
    order: dict[str, Any] = (await client.post(f"/api/events/{slug}/orders", json=body)).json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code == 200, paid.text
    return order


async def test_submitting_needs_the_fee_paid_and_goes_through_once_it_is(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call = await _fee_call(client, organizer, settings)
    ada = await make_submitter(settings)
    abstract_id = await _draft(client, slug, call, ada)

    refused = await client.post(f"/api/abstracts/{abstract_id}/submit", headers=ada.headers)
    draft = await client.get(f"/api/abstracts/{abstract_id}", headers=ada.headers)
    await _pay_fee(client, slug, ada.email)
    read = await client.get(f"/api/abstracts/{abstract_id}", headers=ada.headers)
    submitted = await client.post(f"/api/abstracts/{abstract_id}/submit", headers=ada.headers)

    pay_url = f"/events/{slug}/register?category=non-member"
    assert refused.status_code == 402
    problem = refused.json()
    assert (problem["code"], problem["field"]) == ("submission_fee_unpaid", "submission_fee")
    assert pay_url in problem["detail"] and refused.headers["link"] == f'<{pay_url}>; rel="payment"'
    assert draft.json()["status"] == "draft"
    assert draft.json()["submission_fee"] == {"category": "Non-member", "paid": False, "pay_url": pay_url}
    assert read.json()["submission_fee"]["paid"] is True
    assert (submitted.status_code, submitted.json()["status"], submitted.json()["number"]) == (200, "submitted", 1)


async def test_a_fee_bought_by_the_submitter_for_another_attendee_counts(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call = await _fee_call(client, organizer, settings)
    ada, eve = await make_submitter(settings), await make_submitter(settings, "Eve Other")
    await _pay_fee(client, slug, ada.email, as_buyer=True)

    mine = await client.post(f"/api/abstracts/{await _draft(client, slug, call, ada)}/submit", headers=ada.headers)
    hers = await client.post(f"/api/abstracts/{await _draft(client, slug, call, eve)}/submit", headers=eve.headers)

    assert (mine.status_code, hers.status_code) == (200, 402)


async def test_a_cancelled_fee_keeps_submitted_abstracts_and_refuses_the_next_submit(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call = await _fee_call(client, organizer, settings)
    ada = await make_submitter(settings)
    first, second = await _draft(client, slug, call, ada), await _draft(client, slug, call, ada)
    order = await _pay_fee(client, slug, ada.email)
    assert (await client.post(f"/api/abstracts/{first}/submit", headers=ada.headers)).status_code == 200

    cancelled = await client.post(f"/api/orders/{order['id']}/cancel", headers=organizer)
    kept = await client.get(f"/api/abstracts/{first}", headers=ada.headers)
    refused = await client.post(f"/api/abstracts/{second}/submit", headers=ada.headers)

    assert cancelled.status_code == 200, cancelled.text
    assert kept.json()["status"] == "submitted" and kept.json()["submission_fee"]["paid"] is False
    assert (refused.status_code, refused.json()["code"]) == (402, "submission_fee_unpaid")


async def test_the_submission_page_links_to_the_fee_and_the_catalog_comes_with_it_chosen(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call = await _fee_call(client, organizer, settings)
    ada = await make_submitter(settings)
    abstract_id = await _draft(client, slug, call, ada)
    headers = {**HTML, **ada.headers}
    page = await client.get(f"/submissions/{abstract_id}", headers=headers)
    pay_url = f"/events/{slug}/register?category=non-member"

    catalog = await client.get(pay_url, headers=HTML)

    assert 'id="submission-fee"' in page.text and f'href="{pay_url}"' in page.text
    assert catalog.status_code == 200
    checked = re.findall(r'id="a0-cat-([a-z-]+)"[^>]*\bchecked\b', catalog.text)
    assert checked == ["non-member"]
