"""Receipts: one per paid order, numbered 1, 2, 3 … per event even when orders are paid at once, and a PDF
that says what was paid, for the buyer or an organizer only."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select

from podium.db import begin_write
from podium.settings import Settings
from registration.models import Order, Receipt
from registration.receipts import ReceiptData, ReceiptLine, format_money, issue_receipt, render_receipt
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


async def pdf_text(pdf: bytes, folder: Path) -> str:
    """The PDF's text through poppler's pdftotext: proof that a real reader can parse it."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing: install the Debian package poppler-utils to check the PDF's text")
    path = folder / "receipt.pdf"
    path.write_bytes(pdf)
    return (await anyio.run_process(["pdftotext", "-layout", str(path), "-"])).stdout.decode()


async def _place(client: Client, slug: str, *attendees: dict[str, object]) -> dict[str, str]:
    response = await client.post(f"/api/events/{slug}/orders", json=order_body(*attendees))
    assert response.status_code == 201
    return response.json()


async def _pay(client: Client, order: dict[str, str]) -> int:
    response = await client.post(
        f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
    )
    return response.status_code


async def _numbers(settings: Settings, event_id: object) -> list[int]:
    async with db_session_for(settings) as db_session:
        return sorted((await db_session.scalars(select(Receipt.number).where(Receipt.event_id == event_id))).all())


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

    assert set(statuses) == {200}
    assert await _numbers(settings, catalog.event_id) == list(range(1, 31))


async def test_concurrent_issues_in_separate_connections_never_repeat_or_skip(
    client: Client, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    placed = [await _place(client, catalog.slug, attendee()) for _ in range(30)]

    async def issue(order_id: str) -> int:
        async with db_session_for(settings) as db_session:
            await begin_write(db_session)
            order = await db_session.get(Order, order_id, with_for_update=True)
            assert order is not None
            receipt = await issue_receipt(db_session, order, dt.datetime.now(dt.UTC))
            await db_session.commit()
            return receipt.number

    numbers = await asyncio.gather(*(issue(o["id"]) for o in placed))
    again = await issue(placed[0]["id"])

    assert sorted(numbers) == list(range(1, 31))
    assert again == numbers[0]
    assert await _numbers(settings, catalog.event_id) == list(range(1, 31))


async def test_receipt_pdf_for_the_buyer_and_organizers_once_paid(
    client: Client, settings: Settings, organizer: dict[str, str], tmp_path: Path
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
    text = await pdf_text(by_query.content, tmp_path)
    assert f"Receipt {catalog.slug.upper()}-000001" in text
    assert "Grant Writing Workshop" in text
    assert "USD 520.00" in text
    assert "PAID on" in text


async def test_render_receipt_prints_names_discounts_and_refunds(tmp_path: Path) -> None:
    data = ReceiptData(
        number="AM2027-000123",
        issued_on=dt.date(2027, 3, 1),
        event_name="Annual Meeting 2027",
        event_dates="Monday June 7, 2027 to Friday June 11, 2027",
        buyer_name="Łukasz Wójcik",
        buyer_email="lw@example.org",
        currency="USD",
        lines=(
            ReceiptLine("Zoë Ngūgī: Student / trainee", 20_000, 10_000),
            ReceiptLine("   + Grant Writing Workshop", 12_000, 0),
        ),
        subtotal=32_000,
        discount_total=10_000,
        total=22_000,
        refunded=5_000,
        paid_on=dt.date(2027, 3, 1),
    )

    pdf = render_receipt(data)

    assert pdf.startswith(b"%PDF")
    assert render_receipt(data) == pdf
    text = await pdf_text(pdf, tmp_path)
    assert "AM2027-000123" in text
    assert "Łukasz Wójcik" in text or "Lukasz Wojcik" in text
    assert "USD -100.00" in text
    assert "USD 220.00" in text
    assert "Refunded" in text
    assert "USD 170.00" in text
