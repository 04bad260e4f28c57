"""Receipts and credit notes as frozen documents: what an issued receipt says never changes; a transfer, refund,
cancellation or billing change issues a credit note and, where money remains, a new receipt; numbers stay
one gap-free series per event under racing payments; billing and seller details, and who may read what."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from podium.db import begin_write, create_engine
from podium.jobs.runtime import run_due_jobs
from podium.main.unit_of_work import session_maker
from podium.settings import Settings
from registration.documents import jobs as document_jobs
from registration.documents import numbers
from registration.documents.jobs import issue_all_pending
from registration.documents.services import ensure_documents_issued, record_documents
from registration.models import Category, Document, DocumentCounter, Order, PriceWindow
from registration.tasks import sweep_expired_holds
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


def by_number(numbers: Iterable[int | None]) -> list[int | None]:
    """Document numbers in order, an unnumbered document (None) last, so a comparison shows it."""
    return sorted(numbers, key=lambda n: (n is None, n or 0))


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def _paid(client: Client, slug: str, *attendees: dict[str, object], **body: object) -> dict[str, Any]:
    order = (await client.post(f"/api/events/{slug}/orders", json=order_body(*attendees, **body))).json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code == 200
    # The buyer has the receipt (its mail or a download numbers it, as the job queued with the payment would on
    # PostgreSQL), so what follows changes an issued receipt on both engines.
    await _documents(client, order)
    return order


def _holder(order: dict[str, Any]) -> dict[str, str]:
    return {"X-Order-Secret": order["secret"]}


async def _documents(client: Client, order: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(f"/api/orders/{order['id']}/documents", headers=_holder(order))
    assert response.status_code == 200
    return response.json()


async def _pdf(client: Client, order: dict[str, Any], document: dict[str, Any]) -> bytes:
    response = await client.get(document["pdf_url"], headers=_holder(order))
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def _summary(documents: list[dict[str, Any]]) -> list[tuple[str, str, int, str | None]]:
    return [(d["kind"], d["number"], d["total"], d["corrects"]) for d in documents]


async def test_receipt_stays_frozen_after_a_transfer(client: Client, catalog: CatalogFixture) -> None:
    order = await _paid(client, catalog.slug, attendee(first_name="Ada", last_name="Lovelace"))
    [first] = await _documents(client, order)
    before = await _pdf(client, order, first)
    transfer = {
        "email": "otto@example.org",
        "first_name": "Otto",
        "last_name": "Hahn",
        "country": "US",
        "member_number": "M-777",
    }

    moved = await client.post(
        f"/api/orders/{order['id']}/registrations/{order['registrations'][0]['id']}/transfer",
        json=transfer,
        headers=_holder(order),
    )

    assert moved.status_code == 200
    slug = catalog.slug.upper()
    documents = await _documents(client, order)
    assert _summary(documents) == [
        ("receipt", f"{slug}-000001", 40_000, None),
        ("credit_note", f"{slug}-000002", -40_000, f"{slug}-000001"),
        ("receipt", f"{slug}-000003", 40_000, None),
    ]
    assert [d["reason"] for d in documents] == ["payment", "transfer", "transfer"]
    after = await _pdf(client, order, documents[0])
    assert after == before
    old_text = await pdf_text(after)
    assert "Ada Lovelace: Member" in old_text
    assert "Otto" not in old_text
    credit_text = await pdf_text(await _pdf(client, order, documents[1]))
    assert f"Credit note {slug}-000002" in credit_text
    assert f"Cancels receipt {slug}-000001" in credit_text
    assert "USD -400.00" in credit_text
    new_text = await pdf_text(await _pdf(client, order, documents[2]))
    assert "Otto Hahn: Member" in new_text
    current = await client.get(f"/api/orders/{order['id']}/receipt.pdf", headers=_holder(order))
    assert current.content == await _pdf(client, order, documents[2])


async def test_partial_refund_issues_a_credit_note_and_a_receipt_for_what_remains(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await _paid(client, catalog.slug, attendee(add_ons=["workshop"]))

    refunded = await client.post(
        f"/api/orders/{order['id']}/refunds", json={"amount": 10_000, "reason": "goodwill"}, headers=organizer
    )

    assert refunded.status_code == 201
    documents = await _documents(client, order)
    assert [(d["kind"], d["total"]) for d in documents] == [
        ("receipt", 52_000),
        ("credit_note", -52_000),
        ("receipt", 42_000),
    ]
    text = await pdf_text(await _pdf(client, order, documents[2]))
    assert "Refunded" in text
    assert "USD -100.00" in text
    assert "USD 420.00" in text


async def test_cancelling_one_of_two_attendees_keeps_a_receipt_for_the_other(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await _paid(client, catalog.slug, attendee(first_name="Ada"), attendee(first_name="Bob"))
    bob = order["registrations"][1]["id"]

    cancelled = await client.post(f"/api/orders/{order['id']}/registrations/{bob}/cancel", headers=organizer)

    assert cancelled.status_code == 200
    documents = await _documents(client, order)
    assert [(d["kind"], d["total"], d["reason"]) for d in documents] == [
        ("receipt", 80_000, "payment"),
        ("credit_note", -80_000, "cancellation"),
        ("receipt", 40_000, "cancellation"),
    ]


async def test_cancelling_the_whole_order_with_a_full_refund_leaves_only_a_credit_note(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await _paid(client, catalog.slug, attendee())

    cancelled = await client.post(f"/api/orders/{order['id']}/cancel", headers=organizer)
    again = await client.post(f"/api/orders/{order['id']}/cancel", headers=organizer)

    assert (cancelled.status_code, again.status_code) == (200, 409)
    documents = await _documents(client, order)
    assert [(d["kind"], d["total"]) for d in documents] == [("receipt", 40_000), ("credit_note", -40_000)]
    none = await client.get(f"/api/orders/{order['id']}/receipt.pdf", headers=_holder(order))
    assert (none.status_code, none.json()["code"]) == (409, "not_paid")


async def test_billing_details_before_issue_go_on_the_receipt_and_after_issue_reissue_it(
    client: Client, catalog: CatalogFixture
) -> None:
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    billing = {
        "organization": "Institut für Physik",
        "address": "Hauptstr. 1\n10115 Berlin",
        "country": "DE",
        "tax_id": "DE123456789",
        "po_number": "PO-42",
    }

    before_pay = await client.put(f"/api/orders/{order['id']}/billing", json=billing, headers=_holder(order))
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers=_holder(order))
    [receipt] = await _documents(client, order)
    changed = await client.put(
        f"/api/orders/{order['id']}/billing", json=billing | {"po_number": "PO-43"}, headers=_holder(order)
    )
    same_again = await client.put(
        f"/api/orders/{order['id']}/billing", json=billing | {"po_number": "PO-43"}, headers=_holder(order)
    )

    assert before_pay.status_code == 200
    assert before_pay.json() == billing
    text = await pdf_text(await _pdf(client, order, receipt))
    for expected in ("Institut für Physik", "Hauptstr. 1", "10115 Berlin", "Tax ID: DE123456789", "PO-42"):
        assert expected in text
    assert (changed.status_code, same_again.status_code) == (200, 200)
    documents = await _documents(client, order)
    assert [(d["kind"], d["reason"]) for d in documents] == [
        ("receipt", "payment"),
        ("credit_note", "billing details changed"),
        ("receipt", "billing details changed"),
    ]
    assert "Purchase order: PO-43" in await pdf_text(await _pdf(client, order, documents[2]))
    read = await client.get(f"/api/orders/{order['id']}/billing", headers=_holder(order))
    assert read.json()["po_number"] == "PO-43"


@pytest.mark.parametrize("change, field", [
    ({"country": "ZZ"}, "country"),
    ({"country": "DEU"}, "country"),
    ({"country": "de"}, "country"),
    ({"organization": "x" * 201}, "organization"),
    ({"address": "x" * 501}, "address"),
    ({"tax_id": "DE<script>"}, "tax_id"),
    ({"po_number": "line\nbreak"}, "po_number"),
])  # fmt: skip
async def test_billing_details_are_validated_naming_the_field(
    client: Client, catalog: CatalogFixture, change: dict[str, str], field: str
) -> None:
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()

    response = await client.put(f"/api/orders/{order['id']}/billing", json=change, headers=_holder(order))

    assert response.status_code == 422
    assert field in str(response.json())


async def test_documents_and_billing_only_for_the_holder_or_organizers(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    order = await _paid(client, catalog.slug, attendee())
    other = await _paid(client, catalog.slug, attendee())
    [document] = await _documents(client, order)
    base = f"/api/orders/{order['id']}"

    stranger = await client.get(f"{base}/documents", headers={"X-Order-Secret": other["secret"]})
    anonymous = await client.get(f"{base}/documents")
    staff_read = await client.get(f"{base}/documents", headers=staff)
    organizer_read = await client.get(f"{base}/documents", headers=organizer)
    foreign_pdf = await client.get(f"/api/orders/{other['id']}/documents/{document['id']}/pdf", headers=_holder(other))
    stranger_billing = await client.put(
        f"{base}/billing", json={"organization": "Mallory Inc"}, headers={"X-Order-Secret": other["secret"]}
    )
    by_query = await client.get(document["pdf_url"], params={"secret": order["secret"]})

    assert (stranger.status_code, anonymous.status_code, staff_read.status_code) == (404, 404, 404)
    assert organizer_read.json() == await _documents(client, order)
    assert foreign_pdf.status_code == 404
    assert stranger_billing.status_code == 404
    assert by_query.content.startswith(b"%PDF")


async def test_organizers_list_an_events_documents_and_set_its_seller(
    client: Client,
    catalog: CatalogFixture,
    organizer: dict[str, str],
    staff: dict[str, str],
    settings: Settings,
) -> None:
    seller = {
        "legal_name": "Society for Meetings e.V.",
        "address": "Unter den Linden 1\n10117 Berlin",
        "tax_id": "DE999999999",
        "footer": "Registered at Amtsgericht Charlottenburg, VR 12345.",
    }
    url = f"/api/events/{catalog.slug}"

    by_staff = await client.put(f"{url}/seller", json=seller, headers=staff)
    anonymous = await client.get(f"{url}/documents")
    saved = await client.put(f"{url}/seller", json=seller, headers=organizer)
    bad = await client.put(f"{url}/seller", json={"legal_name": "x" * 201}, headers=organizer)
    order = await _paid(client, catalog.slug, attendee())
    await client.post(f"/api/orders/{order['id']}/cancel", headers=organizer)
    await run_due_jobs(settings, session_maker)  # the credit note is numbered by the job queued with the cancellation
    listed = await client.get(f"{url}/documents", headers=organizer)
    credit_notes = await client.get(f"{url}/documents", params={"kind": "credit_note"}, headers=organizer)
    staff_list = await client.get(f"{url}/documents", headers=staff)

    assert (by_staff.status_code, anonymous.status_code, staff_list.status_code) == (403, 401, 403)
    assert saved.json() == seller
    assert (await client.get(f"{url}/seller", headers=organizer)).json() == seller
    assert bad.status_code == 422
    mine = [d for d in listed.json() if d["order_id"] == order["id"]]
    assert [d["kind"] for d in mine] == ["receipt", "credit_note"]
    assert [d["number"] for d in listed.json()] == sorted(d["number"] for d in listed.json())
    assert {d["kind"] for d in credit_notes.json()} == {"credit_note"}
    assert mine[1]["corrects"] == mine[0]["number"]
    text = await pdf_text(await _pdf(client, order, mine[0]))
    for expected in ("Society for Meetings e.V.", "Unter den Linden 1", "Tax ID: DE999999999", "VR 12345"):
        assert expected in text


async def test_racing_payments_and_transfers_number_one_series_without_gaps(client: Client, settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    orders = [
        (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json() for _ in range(24)
    ]

    paid = await asyncio.gather(
        *(client.post(f"/api/orders/{o['id']}/offline-payment", headers=_holder(o)) for o in orders)
    )
    # The transfers race the numbering of the payments' receipts (PostgreSQL: the job they queued; SQLite
    # numbered them with each payment): a receipt still pending is rewritten, an issued one credited.
    _, *transfers = await asyncio.gather(
        run_due_jobs(settings, session_maker),
        *(
            client.post(
                f"/api/orders/{o['id']}/registrations/{o['registrations'][0]['id']}/transfer",
                json={
                    "email": f"new-{i}@example.org",
                    "first_name": "New",
                    "last_name": f"Holder {i}",
                    "country": "US",
                    "member_number": f"M-{1000 + i}",
                },
                headers=_holder(o),
            )
            for i, o in enumerate(orders[:8])
        ),
    )

    assert {r.status_code for r in paid} == {200}
    assert {r.status_code if r else None for r in transfers} == {200}
    async with db_session_for(settings) as db_session:
        numbered = (
            await db_session.scalars(
                select(Document.number).where(Document.event_id == catalog.event_id, Document.number.is_not(None))
            )
        ).all()
        # Numbering never waits for another's: what it found locked, the sweep numbers.
        await issue_all_pending(db_session)
        rows = (
            await db_session.execute(
                select(Document.number, Document.kind).where(Document.event_id == catalog.event_id)
            )
        ).all()
    credit_notes = sum(kind == "credit_note" for _, kind in rows)
    assert by_number(numbered) == list(range(1, len(numbered) + 1))
    assert by_number(n for n, _ in rows) == list(range(1, 24 + 2 * credit_notes + 1))
    assert credit_notes <= 8


async def test_a_payment_never_waits_for_the_counter_lock(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: every transaction waits for it anyway")
    first = await _paid(client, catalog.slug, attendee())  # creates the event's counter row
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    async with db_session_for(settings) as holder:
        await holder.execute(
            select(DocumentCounter).where(DocumentCounter.event_id == catalog.event_id).with_for_update()
        )

        paid = await asyncio.wait_for(
            client.post(f"/api/orders/{order['id']}/offline-payment", headers=_holder(order)), timeout=10
        )
        await holder.rollback()

    assert paid.status_code == 200
    assert [d["number"] for d in await _documents(client, first)] == [f"{catalog.slug.upper()}-000001"]
    assert [d["number"] for d in await _documents(client, order)] == [f"{catalog.slug.upper()}-000002"]


async def test_a_receipt_left_pending_is_numbered_by_whoever_needs_it_first(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    async with db_session_for(settings) as db_session:
        await begin_write(db_session)
        row = await db_session.get_one(Order, UUID(order["id"]), with_for_update=True)
        row.status, row.paid_at = "paid", row.created_at
        # As if the process died between the change and its numbering (PostgreSQL numbers after commit).
        await record_documents(db_session, row, reason="payment", number_now=False)
        await db_session.commit()
        pending = (await db_session.scalars(select(Document.number).where(Document.order_id == row.id))).all()

        issued = await ensure_documents_issued(db_session, row.id)
        await db_session.commit()

    assert pending == [None]
    assert [(d.kind, d.number) for d in issued] == [("receipt", 1)]


async def test_the_hold_sweep_numbers_documents_left_pending(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    async with db_session_for(settings) as db_session:
        await begin_write(db_session)
        row = await db_session.get_one(Order, UUID(order["id"]), with_for_update=True)
        row.status, row.paid_at = "paid", row.created_at
        await record_documents(db_session, row, reason="payment", number_now=False)
        await db_session.commit()
    engine = create_engine(settings)

    try:
        await sweep_expired_holds(session_maker(engine), offer_hours=24)
    finally:
        await engine.dispose()

    async with db_session_for(settings) as db_session:
        numbers = (await db_session.scalars(select(Document.number).where(Document.event_id == catalog.event_id))).all()
    assert numbers == [1]


async def _student_paid(client: Client, slug: str) -> tuple[dict[str, Any], str]:
    student = attendee(category="student", member_number=None, verification_note="PhD student")
    order = await _paid(client, slug, student)
    return order, str(order["registrations"][0]["id"])


async def test_rejected_verification_refunded_in_full_leaves_a_credit_note(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order, registration_id = await _student_paid(client, catalog.slug)

    rejected = await client.post(
        f"/api/events/{catalog.slug}/registrations/{registration_id}/verification",
        json={"decision": "reject", "on_reject": "cancel_and_refund"},
        headers=organizer,
    )

    assert rejected.status_code == 200, rejected.text
    documents = await _documents(client, order)
    paid = documents[0]["total"]
    assert [(d["kind"], d["total"], d["reason"]) for d in documents] == [
        ("receipt", paid, "payment"),
        ("credit_note", -paid, "verification rejected"),
    ]


async def test_category_move_issues_a_credit_note_and_a_receipt_for_the_new_category(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        db_session.add(
            Category(
                event_id=catalog.event_id,
                code="exhibits",
                name="Exhibit hall only",
                eligibility="open",
                price_windows=[
                    PriceWindow(label="all", starts_on=dt.date.today() - dt.timedelta(days=60), amount=5_000)
                ],
            )
        )
        await db_session.commit()
    order, registration_id = await _student_paid(client, catalog.slug)

    moved = await client.post(
        f"/api/events/{catalog.slug}/registrations/{registration_id}/verification",
        json={"decision": "reject", "on_reject": "move_category", "move_to": "exhibits"},
        headers=organizer,
    )

    assert moved.status_code == 200, moved.text
    documents = await _documents(client, order)
    paid = documents[0]["total"]
    assert [(d["kind"], d["total"], d["reason"]) for d in documents] == [
        ("receipt", paid, "payment"),
        ("credit_note", -paid, "category move"),
        ("receipt", 5_000, "category move"),
    ]
    text = await pdf_text(await _pdf(client, order, documents[2]))
    assert "Ada Lovelace: Exhibit hall only" in text
    assert "USD 50.00" in text


async def _paid_with_receipts_pending(
    client: Client, catalog: CatalogFixture, settings: Settings, count: int
) -> list[dict[str, Any]]:
    """``count`` orders placed, then paid with their receipts recorded and not numbered yet."""
    placed = [
        (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
        for _ in range(count)
    ]
    async with db_session_for(settings) as db_session:
        for order in placed:
            await begin_write(db_session)
            row = await db_session.get_one(Order, UUID(order["id"]), with_for_update=True)
            row.status, row.paid_at = "paid", row.created_at
            await record_documents(db_session, row, reason="payment", number_now=False)
            await db_session.commit()
    return placed


async def test_billing_details_racing_the_numbering_always_reach_the_live_receipt(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    placed = await _paid_with_receipts_pending(client, catalog, settings, 6)

    async def number() -> None:
        async with db_session_for(settings) as db_session:
            await issue_all_pending(db_session)

    answers = await asyncio.gather(
        *(
            client.put(f"/api/orders/{o['id']}/billing", json={"organization": f"Lab {i}"}, headers=_holder(o))
            for i, o in enumerate(placed)
        ),
        *(number() for _ in range(3)),
    )
    listed = [await _documents(client, order) for order in placed]

    assert {a.status_code if a else None for a in answers[: len(placed)]} == {200}
    for i, documents in enumerate(listed):
        live = [d for d in documents if d["kind"] == "receipt"][-1]
        assert len(documents) in (1, 3)  # rewritten before numbering, or cancelled and issued again
        async with db_session_for(settings) as db_session:
            data = (await db_session.get_one(Document, UUID(live["id"]))).data
        assert data["buyer"]["organization"] == f"Lab {i}"
    numbers = sorted(int(d["number"].rsplit("-", 1)[1]) for documents in listed for d in documents)
    assert numbers == list(range(1, len(numbers) + 1))


async def test_numbering_everything_pending_waits_between_batches_outside_any_transaction(
    client: Client, catalog: CatalogFixture, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The number job of an idle-class worker awaits its ``spare_cpu`` after each full batch
    (``podium.jobs.cpu_pressure``), with no transaction open, so no counter lock is held while it waits."""
    monkeypatch.setattr(numbers, "BATCH", 1)
    monkeypatch.setattr(document_jobs, "BATCH", 1)
    await _paid_with_receipts_pending(client, catalog, settings, 3)
    async with db_session_for(settings) as db_session:
        waits: list[tuple[bool, int]] = []

        async def between() -> None:
            in_transaction = db_session.in_transaction()
            numbered = await db_session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.event_id == catalog.event_id, Document.number.is_not(None))
            )
            waits.append((in_transaction, numbered or 0))
            await db_session.commit()  # the count's own read

        issued = await issue_all_pending(db_session, between_batches=between)

    assert issued == 3
    assert waits == [(False, 1), (False, 2), (False, 3)]
