"""Receipts and credit notes in the buyer's language: labels, dates and money by the order's locale, frozen with the
document so it reads the same whoever downloads it and whatever language they browse in."""

from __future__ import annotations

import datetime as dt
import re

import msgspec
from sqlalchemy import select

from podium.i18n import using_locale
from podium.settings import Settings
from registration.documents.receipts import Buyer, DocumentData, Line, Seller, render_document
from registration.models import Document
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


def _data(locale: str, **changes: object) -> DocumentData:
    data = DocumentData(
        kind="receipt",
        event_name="Annual Meeting 2027",
        event_dates="7 de junio de 2027",
        seller=Seller(legal_name="Society e.V.", tax_id="DE123"),
        buyer=Buyer(name="Ana Pérez", email="ana@example.org", po_number="PO-9"),
        currency="EUR",
        lines=[Line(description="Ana Pérez: Member", amount=123_450, discount=0)],
        subtotal=123_450,
        discount_total=0,
        total=123_450,
        paid_on=dt.date(2027, 3, 1),
        locale=locale,
    )
    return msgspec.structs.replace(data, **changes)


async def test_a_spanish_receipt_reads_spanish_labels_and_money() -> None:
    text = await pdf_text(render_document(_data("es"), "AM2027-000007", dt.date(2027, 3, 1)))

    assert "Recibo AM2027-000007" in text
    assert "Facturado a:" in text
    assert "Orden de compra: PO-9" in text
    assert "NIF: DE123" in text
    assert "Subtotal" in text
    assert re.search(r"1\.234,50\s€", text) is not None
    assert "PAGADO el 1 mar 2027" in text
    assert "Receipt" not in text


async def test_a_chinese_credit_note_prints_chinese_labels() -> None:
    data = _data("zh_Hans", kind="credit_note", corrects="AM2027-000001", note="refund", total=-123_450)

    text = await pdf_text(render_document(data, "AM2027-000002", dt.date(2027, 3, 2)))

    assert "红字凭证 AM2027-000002" in text
    assert "作废收据 AM2027-000001 (退款)" in text
    assert "开票对象\N{FULLWIDTH COLON}" in text
    assert "冲销合计" in text


def test_a_frozen_document_renders_in_its_own_language_whatever_the_readers() -> None:
    data = _data("fr")
    with using_locale("fr"):
        in_french = render_document(data, "X-000001", dt.date(2027, 3, 1))

    with using_locale("zh_Hans"):
        read_by_chinese = render_document(data, "X-000001", dt.date(2027, 3, 1))
    english = render_document(_data("en"), "X-000001", dt.date(2027, 3, 1))

    assert read_by_chinese == in_french
    assert english != in_french


def test_a_document_stored_before_locales_renders_in_english() -> None:
    stored = msgspec.to_builtins(_data("en"))
    del stored["locale"]

    data = msgspec.convert(stored, DocumentData)

    assert data.locale == "en"


async def test_an_order_placed_in_spanish_gets_a_spanish_receipt(client: Client, settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    placed = await client.post(
        f"/api/events/{catalog.slug}/orders", json=order_body(attendee()), headers={"Accept-Language": "es"}
    )
    order = placed.json()
    # Paid from a browser in English: the receipt stays in the order's language.
    paid = await client.post(
        f"/api/orders/{order['id']}/offline-payment",
        headers={"X-Order-Secret": order["secret"], "Accept-Language": "en"},
    )

    response = await client.get(f"/api/orders/{order['id']}/receipt.pdf", params={"secret": order["secret"]})

    assert (placed.status_code, paid.status_code, response.status_code) == (201, 200, 200)
    async with db_session_for(settings) as db_session:
        stored = await db_session.scalar(select(Document.data).where(Document.order_id == order["id"]))
    assert stored is not None and stored["locale"] == "es"
    text = await pdf_text(response.content)
    assert f"Recibo {catalog.slug.upper()}-000001" in text
    assert "Facturado a:" in text
