"""Receipts: one per paid order, numbered 1, 2, 3 … per event even when orders are paid at once, and a PDF
that says what was paid."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import anyio
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from podium.settings import Settings
from registration.models import Receipt
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

Client = AsyncTestClient[Litestar]


async def test_concurrent_payments_get_consecutive_receipt_numbers(client: Client, settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    placed = [
        (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json() for _ in range(20)
    ]

    await asyncio.gather(
        *(
            client.post(f"/api/orders/{o['id']}/offline-payment", headers={"X-Order-Secret": o["secret"]})
            for o in placed
        )
    )

    async with db_session_for(settings) as db_session:
        numbers = sorted(
            (await db_session.scalars(select(Receipt.number).where(Receipt.event_id == catalog.event_id))).all()
        )
    assert numbers == list(range(1, 21))


async def test_receipt_pdf_for_the_buyer_only_once_paid(client: Client, settings: Settings, tmp_path: Path) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (
        await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(add_ons=["workshop"])))
    ).json()
    url = f"/api/orders/{order['id']}/receipt.pdf"

    unpaid = await client.get(url, params={"secret": order["secret"]})
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    paid = await client.get(url, params={"secret": order["secret"]})
    stranger = await client.get(url, params={"secret": "not-the-secret"})

    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "not_paid")
    assert stranger.status_code == 404
    assert paid.headers["content-type"] == "application/pdf"
    assert paid.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("Debian package poppler-utils not installed (pdftotext)")
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(paid.content)
    text = (await anyio.run_process(["pdftotext", str(pdf), "-"])).stdout.decode()
    assert f"{catalog.slug.upper()}-000001" in text
    assert "Total paid" in text
    assert "USD 520.00" in text
    assert "Grant Writing Workshop" in text
