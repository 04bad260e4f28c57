"""Receipts: one per paid order, numbered 1, 2, 3 … per event even when orders are paid at once, and a PDF
that says what was paid, for the buyer or an organizer only. Credit notes and billing: ``test_documents``."""

from __future__ import annotations

import asyncio
import datetime as dt
import unicodedata

import msgspec
import pytest
from sqlalchemy import select

from podium.db import begin_write
from podium.formatting import format_money
from podium.pdf_fonts import unicode_font
from podium.settings import Settings
from registration.documents.numbers import issue_pending_documents
from registration.documents.receipts import Buyer, DocumentData, Line, Seller, render_document
from registration.documents.services import NUMBER_DOCUMENTS_JOB, record_documents
from registration.models import Document, Order
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text
from tests.podium.test_jobs import run_once_queued
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


async def _place(client: Client, slug: str, *attendees: dict[str, object]) -> dict[str, str]:
    response = await client.post(f"/api/events/{slug}/orders", json=order_body(*attendees))
    assert response.status_code == 201
    return response.json()


async def _pay(client: Client, order: dict[str, str]) -> int:
    response = await client.post(
        f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
    )
    return response.status_code


async def _numbers(settings: Settings, event_id: object) -> list[int | None]:
    """The event's document numbers in order, an unnumbered document (None) last."""
    async with db_session_for(settings) as db_session:
        numbers = (await db_session.scalars(select(Document.number).where(Document.event_id == event_id))).all()
    return sorted(numbers, key=lambda n: (n is None, n or 0))


@pytest.mark.parametrize("amount, currency, expected", [
    (52_000, "USD", "USD 520.00"),
    (123_456_789, "eur", "EUR 1,234,567.89"),
    (5, "USD", "USD 0.05"),
    (-1_200, "USD", "USD -12.00"),
    (5_000, "JPY", "JPY 5,000"),
    (5_000, "KWD", "KWD 5.000"),
])  # fmt: skip
def test_format_money_uses_the_currency_minor_unit(amount: int, currency: str, expected: str) -> None:
    assert format_money(amount, currency) == expected


async def test_concurrent_payments_get_consecutive_receipt_numbers(client: Client, settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    placed = [await _place(client, catalog.slug, attendee()) for _ in range(30)]

    statuses = await asyncio.gather(*(_pay(client, o) for o in placed))
    # PostgreSQL: the job the payments queued numbers them (SQLite: each payment)
    await run_once_queued(settings, NUMBER_DOCUMENTS_JOB)

    assert set(statuses) == {200}
    assert await _numbers(settings, catalog.event_id) == list(range(1, 31))


async def test_concurrent_numbering_in_separate_connections_never_repeats_or_skips(
    client: Client, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    placed = [await _place(client, catalog.slug, attendee()) for _ in range(30)]

    async def record(order_id: str) -> None:
        async with db_session_for(settings) as db_session:
            await begin_write(db_session)
            order = await db_session.get(Order, order_id, with_for_update=True)
            assert order is not None
            order.paid_at = dt.datetime.now(dt.UTC)
            await record_documents(db_session, order, reason="payment", number_now=False)
            await db_session.commit()

    async def number() -> int:
        async with db_session_for(settings) as db_session:
            numbered = await issue_pending_documents(db_session, catalog.event_id)
            await db_session.commit()  # as its owner (a job, a download) does at once
            return numbered

    await asyncio.gather(*(record(o["id"]) for o in placed))
    issued = await asyncio.gather(*(number() for _ in range(10)))
    again = await number()

    assert (sum(issued), again) == (30, 0)
    assert await _numbers(settings, catalog.event_id) == list(range(1, 31))


async def test_receipt_pdf_for_the_buyer_and_organizers_once_paid(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = await _place(client, catalog.slug, attendee(add_ons=["workshop"]))
    url = f"/api/orders/{order['id']}/receipt.pdf"

    unpaid = await client.get(url, params={"secret": order["secret"]})
    await _pay(client, order)
    by_query = await client.get(url, params={"secret": order["secret"]})
    by_header = await client.get(url, headers={"X-Order-Secret": order["secret"]})
    by_organizer = await client.get(url, headers=organizer)
    stranger = await client.get(url, params={"secret": "not-the-secret"})
    anonymous = await client.get(url)

    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "not_paid")
    assert (stranger.status_code, anonymous.status_code) == (404, 404)
    assert by_query.headers["content-type"] == "application/pdf"
    assert by_query.content.startswith(b"%PDF")
    assert by_header.content == by_query.content
    assert by_organizer.status_code == 200
    assert by_organizer.headers["content-type"] == "application/pdf"
    text = await pdf_text(by_query.content)
    assert f"Receipt {catalog.slug.upper()}-000001" in text
    assert "Grant Writing Workshop" in text
    assert "USD 520.00" in text
    assert "PAID on" in text


async def test_render_document_prints_names_discounts_and_refunds() -> None:
    data = DocumentData(
        kind="receipt",
        event_name="Annual Meeting 2027",
        event_dates="Monday June 7, 2027 to Friday June 11, 2027",
        seller=Seller(legal_name="Society for Meetings e.V.", address="Hauptstr. 1\n10115 Berlin", tax_id="DE123"),
        footer="Registered at Amtsgericht Berlin.",
        buyer=Buyer(name="Łukasz Wójcik", email="lw@example.org", organization="Uniwersytet", country="PL"),
        currency="USD",
        lines=[
            Line(description="Zoë Ngūgī: Student / trainee", amount=20_000, discount=10_000),
            Line(description="   + Grant Writing Workshop", amount=12_000),
            Line(description="Refunded", amount=-5_000),
        ],
        subtotal=27_000,
        discount_total=10_000,
        total=17_000,
        paid_on=dt.date(2027, 3, 1),
    )

    pdf = render_document(data, "AM2027-000123", dt.date(2027, 3, 1))

    assert pdf.startswith(b"%PDF")
    assert render_document(data, "AM2027-000123", dt.date(2027, 3, 1)) == pdf
    text = await pdf_text(pdf)
    assert "Receipt AM2027-000123" in text
    assert "Łukasz Wójcik" in text
    assert "Society for Meetings e.V." in text
    assert "Tax ID: DE123" in text
    assert "Registered at Amtsgericht Berlin." in text
    assert "USD -100.00" in text
    assert "Refunded" in text
    assert "USD 170.00" in text


def test_latin1_documents_use_a_core_font_and_others_embed_one() -> None:
    latin = DocumentData(
        kind="receipt",
        event_name="Réunion annuelle",
        event_dates="June 7, 2027",
        seller=Seller(),
        buyer=Buyer(name="José Müller", email="j@example.org"),
        currency="EUR",
        lines=[Line(description="José Müller: Member", amount=10_000)],
        subtotal=10_000,
        discount_total=0,
        total=10_000,
    )
    unicode = msgspec.structs.replace(latin, buyer=Buyer(name="Łukasz", email="l@example.org"))

    core = render_document(latin, "X-000001", dt.date(2027, 1, 1))
    embedded = render_document(unicode, "X-000002", dt.date(2027, 1, 1))

    assert b"/BaseFont /Helvetica" in core
    assert b"FontFile2" not in core
    if unicode_font() is not None:
        assert b"FontFile2" in embedded


async def test_a_receipt_prints_a_buyer_named_in_any_script() -> None:
    """The badges' font choice: a Chinese, Korean or Arabic buyer's name prints (it printed nothing)."""
    names = {"chinese": "王小明", "japanese": "山田はなこ", "korean": "김민준", "arabic": "محمد عبد الله"}
    data = DocumentData(
        kind="receipt",
        event_name="Annual Meeting 2027",
        event_dates="June 7, 2027",
        seller=Seller(),
        buyer=Buyer(name=" / ".join(names.values()), email="buyer@example.org"),
        currency="EUR",
        lines=[Line(description=f"{names['chinese']}: Member", amount=10_000)],
        subtotal=10_000,
        discount_total=0,
        total=10_000,
    )

    text = await pdf_text(render_document(data, "X-000003", dt.date(2027, 1, 1)))
    # Compared without spaces and bidi controls, which pdftotext puts around and inside right-to-left runs.
    flat = "".join(
        c for c in unicodedata.normalize("NFKC", text) if not c.isspace() and unicodedata.category(c) != "Cf"
    )

    assert {script: "".join(name.split()) in flat for script, name in names.items()} == dict.fromkeys(names, True)
    assert f"{names['chinese']}:Member" in flat
