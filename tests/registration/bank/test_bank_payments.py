"""Marking bank payments received (``record_bank_payment`` through the organizers' API): full, partial, over,
repeated, late; and races against a second organizer and against the hold's expiry, on both engines."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from typing import Any

from sqlalchemy import func, select, update

from podium.locale_choice import COOKIE
from podium.settings import Settings
from registration.bank.payments import Outcome, bank_money, record_bank_payment
from registration.models import BankCredit, Order, Payment, Quota, Registration
from registration.orders.holds import expire_holds
from tests.asgi_client import Client
from tests.page_forms import HTML, form_post
from tests.registration.bank.helpers import bank_event, choose, mark, place
from tests.registration.factories import db_session_for
from tests.registration.statements.test_import import statuses


async def _bank_order(settings: Settings, client: Client, organizer: dict[str, str], **catalog: Any) -> dict[str, Any]:
    built = await bank_event(settings, client, organizer, **catalog)
    order = await place(client, built.slug, add_ons=["workshop"])
    assert (await choose(client, order)).status_code == 200
    order["slug"] = built.slug
    order["workshop_quota_id"] = built.workshop_quota_id if built.workshop_quota else None
    return order


async def _lapse(settings: Settings, order_id: str) -> None:
    async with db_session_for(settings) as db_session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        await db_session.execute(update(Order).where(Order.id == order_id).values(hold_expires_at=past))
        await db_session.commit()


async def test_full_payment_pays_the_order_like_a_card(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    order = await _bank_order(settings, client, organizer)

    response = await mark(client, organizer, order["id"], order["total"], note="seen on the account")

    async with db_session_for(settings) as db_session:
        status = await db_session.scalar(select(Registration.status).where(Registration.order_id == order["id"]))
        payment = await db_session.scalar(select(Payment).where(Payment.order_id == order["id"]))
    body = response.json()
    assert response.status_code == 201
    assert (body["outcome"], body["order"]["status"], body["order"]["amount_due"]) == ("confirmed", "paid", 0)
    assert status == "confirmed"
    assert payment is not None
    assert (payment.provider, payment.amount_captured, payment.kept) == ("bank_transfer", order["total"], True)


async def test_partial_then_rest_pays_and_over_payment_shows_the_excess(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    order = await _bank_order(settings, client, organizer)
    total = order["total"]

    part = (await mark(client, organizer, order["id"], 10_000)).json()
    rest = (await mark(client, organizer, order["id"], total - 10_000 + 2_500)).json()
    more = (await mark(client, organizer, order["id"], 500)).json()

    assert (part["outcome"], part["order"]["status"], part["order"]["received"], part["order"]["amount_due"]) == (
        "partial",
        "pending",
        10_000,
        total - 10_000,
    )
    assert part["order"]["excess"] == 0  # waiting for the rest, not over-paid: nothing to send back yet
    assert (rest["outcome"], rest["order"]["status"], rest["order"]["excess"]) == ("confirmed", "paid", 2_500)
    assert (more["outcome"], more["order"]["excess"]) == ("already_paid", 3_000)


async def test_same_idempotency_key_records_once_and_bad_input_is_refused(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    order = await _bank_order(settings, client, organizer)

    first = await mark(client, organizer, order["id"], 10_000, key="click-1")
    again = await mark(client, organizer, order["id"], 10_000, key="click-1")
    zero = await mark(client, organizer, order["id"], 0)
    wrong_currency = await mark(client, organizer, order["id"], 100, currency="EUR")
    anonymous = await client.post(
        f"/api/orders/{order['id']}/bank-payments", json={"amount": 1, "booked_on": "2026-12-04"}
    )

    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert again.json()["credit_id"] == first.json()["credit_id"]
    assert again.json()["order"]["received"] == 10_000
    assert (zero.status_code, zero.json()["errors"][0]["field"]) == (422, "amount")
    assert (wrong_currency.status_code, wrong_currency.json()["errors"][0]["field"]) == (422, "currency")
    assert anonymous.status_code == 401


async def test_late_full_payment_is_honoured_when_the_seats_are_free(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    order = await _bank_order(settings, client, organizer, workshop_seats=1)
    await _lapse(settings, order["id"])
    async with db_session_for(settings) as db_session:
        await expire_holds(db_session)
        await db_session.commit()

    response = await mark(client, organizer, order["id"], order["total"])

    async with db_session_for(settings) as db_session:
        used = await db_session.scalar(select(Quota.used).where(Quota.id == order["workshop_quota_id"]))
    assert (response.json()["outcome"], response.json()["order"]["status"]) == ("honoured_late", "paid")
    assert used == 1


async def test_late_payment_whose_seats_are_gone_is_flagged_for_refund(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    order = await _bank_order(settings, client, organizer, workshop_seats=1)
    await _lapse(settings, order["id"])
    async with db_session_for(settings) as db_session:
        await expire_holds(db_session)
        await db_session.commit()
    await place(client, order["slug"], add_ons=["workshop"])  # someone else takes the seat

    response = await mark(client, organizer, order["id"], order["total"])

    body = response.json()
    assert (body["outcome"], body["order"]["status"]) == ("refund_needed", "expired")
    assert (body["order"]["received"], body["order"]["excess"]) == (order["total"], order["total"])


async def test_two_organizers_marking_the_same_payment_record_it_once(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    order = await _bank_order(settings, client, organizer)

    responses = await asyncio.gather(
        *(mark(client, organizer, order["id"], order["total"], key="statement-line-7") for _ in range(8))
    )

    async with db_session_for(settings) as db_session:
        credits = await db_session.scalar(select(func.count()).where(BankCredit.order_id == order["id"]))
        captured = await db_session.scalar(select(Payment.amount_captured).where(Payment.order_id == order["id"]))
    assert sorted(r.status_code for r in responses) == [201] * 8
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 7
    assert (credits, captured) == (1, order["total"])


async def test_payment_racing_the_hold_expiry_ends_paid_or_flagged_never_both(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built = await bank_event(settings, client, organizer, workshop_seats=20)
    orders = [await place(client, built.slug, add_ons=["workshop"]) for _ in range(6)]
    for order in orders:
        assert (await choose(client, order)).status_code == 200
        await _lapse(settings, order["id"])

    async def sweep() -> int:
        async with db_session_for(settings) as db_session:
            ended = await expire_holds(db_session)
            await db_session.commit()
            return ended

    async def pay(order: dict[str, Any]) -> Outcome:
        async with db_session_for(settings) as db_session:
            result = await record_bank_payment(
                db_session,
                order_id=order["id"],
                amount=order["total"],
                currency="USD",
                booked_on=dt.date(2026, 12, 4),
                source="race",
                actor="test",
            )
            await db_session.commit()
            return result.outcome

    results = await asyncio.gather(sweep(), *(pay(o) for o in orders), sweep())

    async with db_session_for(settings) as db_session:
        used = await db_session.scalar(select(Quota.used).where(Quota.id == built.workshop_quota_id))
        rows = [await db_session.get(Order, o["id"]) for o in orders]
        money = [await bank_money(db_session, row) for row in rows if row is not None]
    outcomes = set(results[1:-1])
    assert outcomes <= {Outcome.CONFIRMED, Outcome.HONOURED_LATE}
    assert [row.status for row in rows if row is not None] == ["paid"] * 6
    assert money == [(o["total"], 0) for o in orders]
    assert used == 6


async def test_partial_payment_racing_the_hold_expiry_ends_expired_with_the_money_to_refund(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built = await bank_event(settings, client, organizer, workshop_seats=20)
    orders = [await place(client, built.slug, add_ons=["workshop"]) for _ in range(4)]
    for order in orders:
        assert (await choose(client, order)).status_code == 200
        await _lapse(settings, order["id"])

    async def sweep() -> None:
        async with db_session_for(settings) as db_session:
            await expire_holds(db_session)
            await db_session.commit()

    async def pay(order: dict[str, Any]) -> None:
        async with db_session_for(settings) as db_session:
            await record_bank_payment(
                db_session,
                order_id=order["id"],
                amount=1_000,
                currency="USD",
                booked_on=dt.date(2026, 12, 4),
                source="race",
                actor="test",
            )
            await db_session.commit()

    await asyncio.gather(*(pay(o) for o in orders), sweep())
    await sweep()

    async with db_session_for(settings) as db_session:
        used = await db_session.scalar(select(Quota.used).where(Quota.id == built.workshop_quota_id))
        rows = [await db_session.get(Order, o["id"]) for o in orders]
        money = [await bank_money(db_session, row) for row in rows if row is not None]
    assert [row.status for row in rows if row is not None] == ["expired"] * 4
    assert money == [(1_000, 1_000)] * 4
    assert used == 0


async def test_the_registrations_page_records_a_bank_payment_and_says_what_it_did_in_the_organizers_language(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    """The form an organizer uses beside the order on the registrations page: a bad amount is asked again, a part
    payment waits for the rest, and the rest with more than the total confirms the order and names the excess."""
    order = await _bank_order(settings, client, organizer)
    listing = f"/organizer/events/{order['slug']}/registrations"
    action = f"/organizer/events/{order['slug']}/orders/{order['id']}/bank-payment"
    total = order["total"]

    async def record(amount: str, key: str) -> str:
        fields = {"amount": amount, "booked_on": "2026-12-04", "key": key, "note": ""}
        recorded = await form_post(client, action, fields, organizer, page=listing)
        assert recorded.status_code == 303, recorded.text
        shown = await client.get(recorded.headers["location"], headers={**HTML, **organizer})
        [notice] = re.findall(r'<[^>]+role="status"[^>]*>([^<]+)<', shown.text)[:1]
        return html.unescape(notice)

    bad = await record("ten dollars", "k0")
    part = await record("100.00", "k1")
    client.cookies.set(COOKIE, "fr")
    rest = await record(f"{(total - 10_000 + 2_500) / 100:.2f}", "k2")

    assert bad == "Enter an amount in USD (e.g. 120.00) and the booking date."
    assert part == f"Bank payment of USD 100.00: partly paid (USD 100.00 of USD {total / 100:,.2f})."
    assert rest.startswith("Virement de ") and "payé en totalité : la commande est confirmée" in rest
    assert rest.endswith("; excédent à rembourser : 25,00\xa0$US).")
    assert await statuses(settings, [order]) == ["paid"]
