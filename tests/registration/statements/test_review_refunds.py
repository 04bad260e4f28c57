"""The review list's refund decision: money for an ended order, or an over-payment's excess, recorded as sent back
to the line's sender (ledger, audit, one mail to the buyer); and a late payment assigned to an expired order whose
seats are free is honoured, as a late card payment is."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import select, update

from podium.audit_models import AuditEntry
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.bank.payments import bank_money
from registration.models import Order, Refund
from registration.orders.holds import expire_holds
from registration.payments.ledger import order_money
from tests.asgi_client import Client
from tests.registration.factories import db_session_for, outbox_mails
from tests.registration.statements.test_import import HEADER, csv_line, statuses, transfer_orders, upload


async def expired_order(settings: Settings, client: Client, organizer: dict[str, str]) -> tuple[str, dict[str, Any]]:
    slug, [order] = await transfer_orders(settings, client, organizer, 1)
    async with db_session_for(settings) as db_session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        await db_session.execute(update(Order).where(Order.id == order["id"]).values(hold_expires_at=past))
        await expire_holds(db_session, event_id=(await db_session.get_one(Order, order["id"])).event_id)
        await db_session.commit()
    assert await statuses(settings, [order]) == ["expired"]
    return slug, order


def review_path(slug: str) -> str:
    return f"/api/events/{slug}/bank-statement-review"


async def money_of(settings: Settings, order_id: str) -> tuple[int, int, int]:
    """(captured, refunded, still to send back) of the order."""
    async with db_session_for(settings) as db_session:
        money = await order_money(db_session, UUID(order_id))
        _, unkept = await bank_money(db_session, await db_session.get_one(Order, order_id))
    return money.captured, money.refunded, unkept


async def refund_mails(settings: Settings, order_id: str) -> list[Any]:
    async with db_session_for(settings) as db_session:
        return [
            mail
            for _, mail in await outbox_mails(db_session, OutboxMessage.dedupe_key.like(f"payment-refund:{order_id}:%"))
        ]


async def test_money_for_an_expired_order_is_refunded_to_its_sender_once(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, order = await expired_order(settings, client, organizer)
    imported = await upload(
        client, slug, organizer, HEADER + csv_line("K1", order["total"], order["reference"], who="Ada Lovelace")
    )
    [line] = imported.json()["lines"]

    refunded = await client.post(
        f"{review_path(slug)}/{line['id']}/refund", json={"note": "returned on 5 Dec"}, headers=organizer
    )
    again = await client.post(f"{review_path(slug)}/{line['id']}/refund", json={}, headers=organizer)

    async with db_session_for(settings) as db_session:
        audited = (
            await db_session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_id == line["id"]).order_by(AuditEntry.id)
            )
        ).all()
    [mail] = await refund_mails(settings, order["id"])
    text = " ".join(mail.text.split())
    assert (line["outcome"], line["reason"]) == ("unmatched", "order_closed")
    assert (refunded.status_code, refunded.json()["review_status"], refunded.json()["review_note"]) == (
        200,
        "refunded",
        "returned on 5 Dec",
    )
    assert (again.status_code, again.json()["code"]) == (409, "line_decided")
    assert audited[-1] == "refunded"
    assert await money_of(settings, order["id"]) == (order["total"], order["total"], 0)
    assert await statuses(settings, [order]) == ["expired"]  # sent back, not honoured, though seats are free
    assert "arrived for an order that was already expired" in text
    assert "It was sent back by bank transfer to Ada Lovelace, the account your payment came from." in text
    assert (await client.get(review_path(slug), headers=organizer)).json() == []


async def test_an_over_payment_refunds_only_its_excess(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, [order] = await transfer_orders(settings, client, organizer, 1)
    imported = await upload(
        client, slug, organizer, HEADER + csv_line("K2", order["total"] + 2_500, order["reference"])
    )
    [line] = imported.json()["lines"]

    refunded = await client.post(f"{review_path(slug)}/{line['id']}/refund", json={}, headers=organizer)

    [mail] = await refund_mails(settings, order["id"])
    assert (line["outcome"], line["excess"]) == ("over", 2_500)
    assert refunded.status_code == 200, refunded.text
    assert await statuses(settings, [order]) == ["paid"]
    assert await money_of(settings, order["id"]) == (order["total"] + 2_500, 2_500, 0)
    assert "so the USD 25.00 too much was sent back to you." in " ".join(mail.text.split())


async def test_racing_decisions_on_one_line_send_its_money_back_at_most_once(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    """Two organizers (or a double-click) decide one over-payment line at once: refunds and a dismissal race. One
    decision wins under the line's lock; every other gets 409, and the excess is sent back once or not at all."""
    slug, [order] = await transfer_orders(settings, client, organizer, 1)
    imported = await upload(
        client, slug, organizer, HEADER + csv_line("K5", order["total"] + 1_500, order["reference"])
    )
    [line] = imported.json()["lines"]
    path = f"{review_path(slug)}/{line['id']}"

    racing = await asyncio.gather(
        *(client.post(f"{path}/refund", json={"note": f"desk {i}"}, headers=organizer) for i in range(6)),
        *(client.post(f"{path}/dismiss", json={"note": "not ours"}, headers=organizer) for _ in range(2)),
    )

    won = [r for r in racing if r.status_code == 200]
    lost = [(r.status_code, r.json()["code"]) for r in racing if r.status_code != 200]
    async with db_session_for(settings) as db_session:
        refunds = (await db_session.scalars(select(Refund.amount).where(Refund.order_id == order["id"]))).all()
    mails = await refund_mails(settings, order["id"])
    assert len(won) == 1, [r.text for r in racing]
    assert lost == [(409, "line_decided")] * 7
    if won[0].json()["review_status"] == "refunded":
        assert (refunds, len(mails)) == ([1_500], 1)
        assert await money_of(settings, order["id"]) == (order["total"] + 1_500, 1_500, 0)
    else:
        assert won[0].json()["review_status"] == "dismissed"
        assert (refunds, mails) == ([], [])
    assert await statuses(settings, [order]) == ["paid"]


async def test_a_line_with_nothing_to_send_back_is_refused(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, [order] = await transfer_orders(settings, client, organizer, 1)
    imported = await upload(
        client, slug, organizer, HEADER + csv_line("K3", 1_000, order["reference"]) + csv_line("K4", 500, "lunch")
    )
    partial, unknown = imported.json()["lines"]

    responses = [
        await client.post(f"{review_path(slug)}/{line['id']}/refund", json={}, headers=organizer)
        for line in (partial, unknown)
    ]
    long_note = await client.post(
        f"{review_path(slug)}/{partial['id']}/refund", json={"note": "x" * 1001}, headers=organizer
    )

    assert [(r.status_code, r.json()["code"]) for r in responses] == [(409, "nothing_to_refund")] * 2
    assert (long_note.status_code, long_note.json()["errors"][0]["field"]) == (422, "note")
    assert await money_of(settings, order["id"]) == (1_000, 0, 0)  # a part paid waits for the rest: none to send back
    assert await refund_mails(settings, order["id"]) == []


async def test_assigning_a_late_payment_to_an_expired_order_honours_it_while_seats_are_free(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, order = await expired_order(settings, client, organizer)
    imported = await upload(client, slug, organizer, HEADER + csv_line("K5", order["total"], order["reference"]))
    [line] = imported.json()["lines"]

    assigned = await client.post(
        f"{review_path(slug)}/{line['id']}/assign", json={"order_id": order["id"]}, headers=organizer
    )

    async with db_session_for(settings) as db_session:
        [(row, confirmed)] = await outbox_mails(
            db_session, OutboxMessage.dedupe_key.in_([f"receipt:{order['id']}", f"order-confirmed:{order['id']}"])
        )
    assert (assigned.status_code, assigned.json()["review_status"]) == (200, "assigned")
    assert await statuses(settings, [order]) == ["paid"]
    assert await money_of(settings, order["id"]) == (order["total"], 0, 0)
    assert row.context["late"] is True
    assert confirmed.subject
