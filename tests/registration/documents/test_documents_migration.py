"""The documents migration freezes every existing receipt with its number and date, and the series goes on
from the old counter (its own module: it migrates this module's database down and up again)."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
from sqlalchemy import select

from podium.main.cli import downgrade, migrate
from podium.settings import Settings
from registration.documents.jobs import issue_all_pending
from registration.models import Document
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

BEFORE = "990183693fd6"  # the revision before documents


async def test_receipts_issued_before_documents_are_frozen_with_their_numbers(
    client: Client, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    orders = [
        (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(first_name=name)))).json()
        for name in ("Ada", "Bob")
    ]
    for order in orders:
        await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    async with db_session_for(settings) as db_session:  # PostgreSQL numbers after the commit, in a job
        await issue_all_pending(db_session)
    await anyio.to_thread.run_sync(downgrade, settings, BEFORE)

    await anyio.to_thread.run_sync(migrate, settings, "head")

    async with db_session_for(settings) as db_session:
        rows = (
            await db_session.execute(
                select(Document.order_id, Document.kind, Document.number, Document.total).order_by(Document.number)
            )
        ).all()
    assert rows == [(UUID(orders[0]["id"]), "receipt", 1, 40_000), (UUID(orders[1]["id"]), "receipt", 2, 40_000)]
    pdf = await client.get(
        f"/api/orders/{orders[1]['id']}/receipt.pdf", headers={"X-Order-Secret": orders[1]["secret"]}
    )
    text = await pdf_text(pdf.content)
    assert f"Receipt {catalog.slug.upper()}-000002" in text
    assert "Bob Lovelace: Member" in text
    third = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{third['id']}/offline-payment", headers={"X-Order-Secret": third["secret"]})
    listed = await client.get(f"/api/orders/{third['id']}/documents", headers={"X-Order-Secret": third["secret"]})
    assert [d["number"] for d in listed.json()] == [f"{catalog.slug.upper()}-000003"]
