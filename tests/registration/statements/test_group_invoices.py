"""Group invoices: several pending orders invoiced to one institution with one reference and due date, paid whole
by one statement line; partial payments go to review; an order is on at most one open invoice."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from podium.formatting import in_fours
from podium.settings import Settings
from registration.bank.references import is_valid
from registration.models import BankCredit, Order
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text
from tests.registration.bank.helpers import bank_event, choose, place
from tests.registration.factories import db_session_for
from tests.registration.statements.test_import import HEADER, csv_line, outcomes, statuses, upload

INSTITUTION = {
    "organization": "Universidad de Chile",
    "address": "Av. Libertador Bernardo O'Higgins 1058\nSantiago",
    "country": "CL",
    "tax_id": "60.910.000-1",
    "po_number": "OC-2026-118",
    "contact_email": "compras@uchile.example",
}


async def pending_orders(
    settings: Settings, client: Client, organizer: dict[str, str], count: int
) -> tuple[str, list[dict[str, Any]]]:
    built = await bank_event(settings, client, organizer)
    return built.slug, [await place(client, built.slug) for _ in range(count)]


async def invoice(
    client: Client, slug: str, organizer: dict[str, str], orders: list[dict[str, Any]], **extra: str
) -> Any:
    body = dict(INSTITUTION, order_ids=[order["id"] for order in orders], **extra)
    return await client.post(f"/api/events/{slug}/group-invoices", json=body, headers=organizer)


async def test_group_invoice_takes_the_orders_and_stretches_their_holds(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 2)

    response = await invoice(client, slug, organizer, orders)
    again = await invoice(client, slug, organizer, orders[1:])
    pdf = await client.get(f"/api/events/{slug}/group-invoices/{response.json()['id']}/invoice.pdf", headers=organizer)

    body = response.json()
    async with db_session_for(settings) as db_session:
        holds = (await db_session.scalars(select(Order.hold_expires_at).where(Order.event_id.isnot(None)))).all()
    due = dt.datetime.fromisoformat(body["due_at"])
    assert response.status_code == 201, response.text
    assert is_valid(body["reference"])
    assert (body["status"], body["total"], body["organization"]) == (
        "open",
        sum(order["total"] for order in orders),
        "Universidad de Chile",
    )
    assert sorted(share["order_id"] for share in body["orders"]) == sorted(order["id"] for order in orders)
    assert due > dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    assert all(hold is not None and hold >= due for hold in holds)
    assert (again.status_code, again.json()["code"]) == (409, "order_on_group_invoice")
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")
    assert body["locale"] == "en"  # the event's default language, none being asked for


async def test_group_invoice_prints_in_the_language_chosen_for_the_institution(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 2)

    unknown = await invoice(client, slug, organizer, orders, locale="de")
    made = await invoice(client, slug, organizer, orders, locale="es")
    group = made.json()
    pdf = await client.get(f"/api/events/{slug}/group-invoices/{group['id']}/invoice.pdf", headers=organizer)
    text = " ".join((await pdf_text(pdf.content)).split())

    assert (unknown.status_code, unknown.json()["field"]) == (422, "locale")
    assert (made.status_code, group["locale"]) == (201, "es")
    assert f"Factura {in_fours(group['reference'])}" in text
    assert "Universidad de Chile" in text and "Purchase order" not in text
    for order in orders:
        assert f"(pedido {order['id'][:8]})" in text
    assert in_fours(group["reference"]) in text


async def test_group_invoice_paid_whole_pays_every_order(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 3)
    group = (await invoice(client, slug, organizer, orders)).json()
    line = csv_line("G1", group["total"], in_fours(group["reference"]))

    response = await upload(client, slug, organizer, HEADER + line)

    after = (await client.get(f"/api/events/{slug}/group-invoices/{group['id']}", headers=organizer)).json()
    assert outcomes(response.json()) == [("G1", "exact", None)]
    assert response.json()["lines"][0]["group_invoice_id"] == group["id"]
    assert after["status"] == "paid"
    assert await statuses(settings, orders) == ["paid"] * 3


async def test_group_invoice_partial_payment_goes_to_review(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 2)
    group = (await invoice(client, slug, organizer, orders)).json()

    response = await upload(client, slug, organizer, HEADER + csv_line("G2", group["total"] - 100, group["reference"]))

    review = (await client.get(f"/api/events/{slug}/bank-statement-review", headers=organizer)).json()
    assert outcomes(response.json()) == [("G2", "partial", None)]
    assert [line["bank_transaction_id"] for line in review] == ["G2"]
    assert await statuses(settings, orders) == ["pending"] * 2


async def test_group_invoice_refuses_orders_it_cannot_take(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, (good, paid) = await pending_orders(settings, client, organizer, 2)
    other_slug, [stranger] = await pending_orders(settings, client, organizer, 1)
    async with db_session_for(settings) as db_session:
        found = await db_session.get(Order, paid["id"])
        assert found is not None
        found.status = "paid"
        await db_session.commit()

    response = await invoice(client, slug, organizer, [good, paid, stranger])
    empty = await client.post(
        f"/api/events/{slug}/group-invoices", json=dict(INSTITUTION, order_ids=[]), headers=organizer
    )

    assert response.status_code == 422
    assert sorted(error["field"] for error in response.json()["errors"]) == ["order_ids[1]", "order_ids[2]"]
    assert empty.status_code == 422
    assert other_slug != slug


async def test_group_invoices_racing_for_one_order_only_one_wins(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 3)

    responses = await asyncio.gather(*(invoice(client, slug, organizer, orders[n : n + 2]) for n in (0, 1, 0, 1)))

    codes = sorted(response.status_code for response in responses)
    assert codes == [201, 409, 409, 409]


async def test_cancelled_group_invoice_frees_its_orders(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 2)
    group = (await invoice(client, slug, organizer, orders)).json()

    cancelled = await client.post(
        f"/api/events/{slug}/group-invoices/{group['id']}/cancel", json={"note": "paid by card"}, headers=organizer
    )
    twice = await client.post(f"/api/events/{slug}/group-invoices/{group['id']}/cancel", json={}, headers=organizer)
    anew = await invoice(client, slug, organizer, orders)
    late = await upload(client, slug, organizer, HEADER + csv_line("G3", group["total"], group["reference"]))

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert (twice.status_code, anew.status_code) == (409, 201)
    assert outcomes(late.json()) == [("G3", "unmatched", "order_closed")]


async def test_an_order_paid_on_its_own_leaves_the_group_invoice_and_the_rest_is_paid_once(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 3)
    by_card, by_transfer, left = orders
    group = (await invoice(client, slug, organizer, orders)).json()
    await client.post(f"/api/orders/{by_card['id']}/offline-payment", headers={"X-Order-Secret": by_card["secret"]})
    own = (await choose(client, by_transfer)).json()

    paid_alone = await upload(client, slug, organizer, HEADER + csv_line("O1", by_transfer["total"], own["reference"]))
    after = (await client.get(f"/api/events/{slug}/group-invoices/{group['id']}", headers=organizer)).json()
    rest = await upload(client, slug, organizer, HEADER + csv_line("G4", left["total"], group["reference"]))
    paid = (await client.get(f"/api/events/{slug}/group-invoices/{group['id']}", headers=organizer)).json()

    assert outcomes(paid_alone.json()) == [("O1", "exact", None)]
    assert (after["status"], after["total"], [s["order_id"] for s in after["orders"]]) == (
        "open",
        left["total"],
        [left["id"]],
    )
    assert outcomes(rest.json()) == [("G4", "exact", None)]
    assert paid["status"] == "paid"
    assert await statuses(settings, orders) == ["paid"] * 3
    async with db_session_for(settings) as db_session:
        ids = [order["id"] for order in orders]
        credits = (await db_session.scalars(select(BankCredit.order_id).where(BankCredit.order_id.in_(ids)))).all()
    assert sorted(str(c) for c in credits) == sorted([by_transfer["id"], left["id"]])


async def test_a_group_invoice_whose_every_order_is_paid_alone_is_cancelled(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 1)
    group = (await invoice(client, slug, organizer, orders)).json()

    await client.post(f"/api/orders/{orders[0]['id']}/offline-payment", headers={"X-Order-Secret": orders[0]["secret"]})

    after = (await client.get(f"/api/events/{slug}/group-invoices/{group['id']}", headers=organizer)).json()
    assert (after["status"], after["total"], after["orders"]) == ("cancelled", group["total"], [])


async def test_a_cancelled_group_invoice_gives_its_orders_back_their_own_holds(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await pending_orders(settings, client, organizer, 2)
    await choose(client, orders[1])  # an order paying by its own transfer before the invoice
    before = await _holds(settings, orders)
    group = (await invoice(client, slug, organizer, orders)).json()
    stretched = await _holds(settings, orders)

    await client.post(f"/api/events/{slug}/group-invoices/{group['id']}/cancel", json={}, headers=organizer)

    assert stretched != before
    assert await _holds(settings, orders) == before


async def _holds(
    settings: Settings, orders: list[dict[str, Any]]
) -> list[tuple[dt.datetime | None, dt.datetime | None]]:
    async with db_session_for(settings) as db_session:
        rows = {
            str(row.id): (row.hold_expires_at, row.payment_due_at)
            for row in await db_session.execute(
                select(Order.id, Order.hold_expires_at, Order.payment_due_at).where(
                    Order.id.in_([order["id"] for order in orders])
                )
            )
        }
    return [rows[order["id"]] for order in orders]
