"""Where an order stands (``registration.orders.standing``): the rule itself, case by case, and the status API
and order page that both speak from it: a card payment in flight, a declined one, cancellations with their
fees and refunds, expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select, update

from podium.audit_models import AuditEntry
from podium.db import begin_write, utcnow
from podium.settings import Settings
from registration.models import Order, RefundStatus
from registration.orders.holds import expire_holds
from registration.orders.payment_outcomes import payment_failed, payment_succeeded
from registration.orders.standing import REPORT_PATIENCE, Facts, PaymentFacts, decide, payment_facts
from registration.schemas import CancellationLine, PaymentRead, RefundLine
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

NOW = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)
HTML = {"Accept": "text/html"}


def refund(amount: int, status: str = "succeeded", *, other: bool = False) -> RefundLine:
    return RefundLine(amount=amount, reason="r", status=RefundStatus(status), of_other_payment=other, created_at=NOW)


def facts(status: str, **overrides: Any) -> Facts:
    base: dict[str, Any] = {
        "status": status,
        "kept_paid": 10_000 if status == "paid" else 0,
        "registrations": 2,
        "active_registrations": 2 if status in ("paid", "pending") else 0,
        "refunds": (),
        "cancellations": (),
        "payment": PaymentFacts(),
    }
    base.update(overrides)
    return Facts(**base)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (facts("pending"), ("pending", None, False)),
        (facts("pending", payment=PaymentFacts(state="confirming")), ("confirming", None, True)),
        (facts("pending", payment=PaymentFacts(intent_in_flight=True)), ("confirming", None, True)),
        (
            facts("pending", payment=PaymentFacts(state="failed", failure="Your card was declined.")),
            ("failed", "Your card was declined.", False),
        ),
        # The PaymentIntent's own word beats what the order row last heard.
        (
            facts("pending", payment=PaymentFacts(state="confirming", intent_failure="Insufficient funds.")),
            ("failed", "Insufficient funds.", False),
        ),
        (facts("pending", payment=PaymentFacts(state="failed", intent_in_flight=True)), ("confirming", None, True)),
        (facts("pending", payment=PaymentFacts(state="confirming", report_outdated=True)), ("pending", None, False)),
        (facts("paid"), ("paid", None, False)),
        (facts("paid", refunds=(refund(2_500),)), ("partially_refunded", None, False)),
        (facts("paid", refunds=(refund(2_500, "pending"),)), ("partially_refunded", None, True)),
        (facts("paid", refunds=(refund(2_500, "failed"),)), ("paid", None, False)),
        (facts("paid", refunds=(refund(10_000),)), ("refunded", None, False)),
        # A second payment given back is other money: the order is still simply paid.
        (facts("paid", refunds=(refund(10_000, other=True),)), ("paid", None, False)),
        # Every registration cancelled: the row still says paid, the buyer must not read "Paid".
        (facts("paid", active_registrations=0, refunds=(refund(9_000),)), ("cancelled", None, False)),
        (facts("paid", active_registrations=0), ("cancelled", None, False)),  # a 100 % fee: nothing back
        (facts("cancelled"), ("cancelled", None, False)),
        (facts("expired"), ("expired", None, False)),
        (facts("expired", payment=PaymentFacts(state="confirming")), ("expired", None, True)),
        (
            facts(
                "expired", payment=PaymentFacts(state="confirming"), refunds=(refund(10_000, "pending", other=True),)
            ),
            ("expired", None, True),
        ),
        (
            facts("expired", payment=PaymentFacts(state="confirming"), refunds=(refund(10_000, other=True),)),
            ("expired", None, False),
        ),
        (facts("paid", kept_paid=0), ("paid", None, False)),  # a free order
        (facts("paid", kept_paid=0, refunds=(refund(500, other=True),)), ("paid", None, False)),
    ],
)
def test_decide_names_one_standing(case: Facts, expected: tuple[str, str | None, bool]) -> None:
    assert decide(case) == expected


def test_decide_ignores_cancellation_lines_for_the_word() -> None:
    line = CancellationLine(registrations=1, fee_pct=10, fee=500, refund=4_500, created_at=NOW)

    assert decide(facts("paid", cancellations=(line,), refunds=(refund(4_500),))) == ("partially_refunded", None, False)


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def place(client: Client, catalog: CatalogFixture, *people: dict[str, object]) -> dict[str, Any]:
    placed = await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(*(people or (attendee(),))))
    assert placed.status_code == 201, placed.text
    return placed.json()


async def status(client: Client, order: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = await client.get(f"/api/orders/{order['id']}/status", headers={"X-Order-Secret": order["secret"]})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def as_card_order(settings: Settings, order_id: str, intent: str) -> None:
    """What the Stripe provider leaves on an order once it made its PaymentIntent (no Stripe needed here)."""
    async with db_session_for(settings) as db_session:
        await begin_write(db_session)
        await db_session.execute(
            update(Order)
            .where(Order.id == UUID(order_id))
            .values(payment_provider="stripe", provider_payment_id=intent)
        )
        await db_session.commit()


async def test_status_of_a_new_order_is_pending_with_its_hold(client: Client, catalog: CatalogFixture) -> None:
    order = await place(client, catalog)

    body = await status(client, order)

    assert (body["standing"], body["order_status"], body["in_flight"]) == ("pending", "pending", False)
    assert body["hold_expires_at"] is not None and body["amount_paid"] == 0 and body["refunds"] == []


async def test_status_needs_the_order_secret(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await place(client, catalog)
    url = f"/api/orders/{order['id']}/status"

    anonymous = await client.get(url)
    wrong = await client.get(url, params={"secret": "x" * 43})
    by_query = await client.get(url, params={"secret": order["secret"]})
    by_organizer = await client.get(url, headers=organizer)

    assert (anonymous.status_code, wrong.status_code) == (404, 404)
    assert wrong.json()["detail"] == anonymous.json()["detail"]
    assert by_query.json()["standing"] == by_organizer.json()["standing"] == "pending"


async def test_paid_then_cancelled_shows_fee_refund_and_never_paid(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    today = dt.date.today()
    fees = {"rules": [{"until": (today + dt.timedelta(days=5)).isoformat(), "fee_pct": 10}]}
    assert (await client.put(f"/api/events/{catalog.slug}/cancellation-fees", json=fees, headers=organizer)).is_success
    order = await place(client, catalog, attendee(), attendee())
    secret = {"X-Order-Secret": order["secret"]}
    assert (await client.post(f"/api/orders/{order['id']}/offline-payment", headers=secret)).status_code == 200
    first, second = (r["id"] for r in order["registrations"])
    each = order["total"] // 2

    paid = await status(client, order)
    await client.post(f"/api/orders/{order['id']}/registrations/{first}/cancel", headers=secret)
    partly = await status(client, order)
    await client.post(f"/api/orders/{order['id']}/registrations/{second}/cancel", headers=secret)
    cancelled = await status(client, order)
    page = await client.get(f"/orders/{order['id']}", params={"secret": order["secret"]}, headers=HTML)

    assert (paid["standing"], paid["amount_paid"]) == ("paid", order["total"])
    assert (partly["standing"], partly["fee"], partly["amount_refunded"]) == (
        "partially_refunded",
        each // 10,
        each - each // 10,
    )
    assert cancelled["standing"] == "cancelled" and cancelled["order_status"] == "paid"
    assert (cancelled["fee"], cancelled["amount_refunded"]) == (2 * (each // 10), 2 * (each - each // 10))
    assert [(c["fee_pct"], c["fee"], c["refund"]) for c in cancelled["cancellations"]] == [
        (10, each // 10, each - each // 10)
    ] * 2
    assert "Paid — you're registered" not in page.text
    assert 'Status: <strong id="order-status">Cancelled</strong>' in page.text
    assert "Cancellation fees kept" in page.text and "Refunded" in page.text


async def test_unpaid_cancelled_and_expired_orders(client: Client, catalog: CatalogFixture, settings: Settings) -> None:
    cancelled = await place(client, catalog)
    expired = await place(client, catalog)
    await client.post(f"/api/orders/{cancelled['id']}/cancel", headers={"X-Order-Secret": cancelled["secret"]})
    async with db_session_for(settings) as db_session:
        await begin_write(db_session)
        await db_session.execute(
            update(Order)
            .where(Order.id == UUID(expired["id"]))
            .values(hold_expires_at=utcnow() - dt.timedelta(minutes=1))
        )
        await db_session.commit()
        await expire_holds(db_session, event_id=catalog.event_id)
        await db_session.commit()

    assert (await status(client, cancelled))["standing"] == "cancelled"
    assert (await status(client, expired))["standing"] == "expired"


async def test_a_confirmed_card_payment_shows_confirming_until_the_webhook(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await place(client, catalog)
    await as_card_order(settings, order["id"], "pi_standing1")
    url = f"/api/orders/{order['id']}/card-payment/confirmed"
    secret = {"X-Order-Secret": order["secret"]}

    wrong = await client.post(url, json={"payment_intent": "pi_someoneelse"}, headers=secret)
    noted = await client.post(url, json={"payment_intent": "pi_standing1"}, headers=secret)
    page = await client.get(f"/orders/{order['id']}", params={"secret": order["secret"]}, headers=HTML)
    async with db_session_for(settings) as db_session:
        result = await payment_succeeded(
            db_session,
            order_id=UUID(order["id"]),
            provider_payment_id="pi_standing1",
            amount=order["total"],
            currency=order["currency"],
            actor="stripe",
        )
        await db_session.commit()
    after = await status(client, order)

    assert (wrong.status_code, wrong.json()["code"], wrong.json()["field"]) == (
        409,
        "unknown_payment",
        "payment_intent",
    )
    assert (noted.status_code, noted.json()["standing"], noted.json()["in_flight"]) == (200, "confirming", True)
    assert "Confirming payment…" in page.text and 'data-follow="confirming"' in page.text
    assert "(test mode)</button>" not in page.text and 'id="card-pay"' not in page.text
    assert result.outcome.value == "confirmed"
    assert (after["standing"], after["amount_paid"], after["in_flight"]) == ("paid", order["total"], False)


async def test_a_declined_payment_shows_why_and_the_pay_form_again(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await place(client, catalog)
    await as_card_order(settings, order["id"], "pi_standing2")
    secret = {"X-Order-Secret": order["secret"]}
    confirmed = await client.post(
        f"/api/orders/{order['id']}/card-payment/confirmed", json={"payment_intent": "pi_standing2"}, headers=secret
    )
    assert confirmed.status_code == 200

    async def declined(at: dt.datetime) -> None:
        async with db_session_for(settings) as db_session:
            await begin_write(db_session)
            await payment_failed(
                db_session,
                order_id=UUID(order["id"]),
                provider_payment_id="pi_standing2",
                message="Your card was declined.",
                actor="stripe",
                occurred_at=at,
            )
            await db_session.commit()

    await declined(utcnow() - dt.timedelta(minutes=1))  # a verdict older than the confirmation: out of date
    still = await status(client, order)
    await declined(utcnow())
    failed = await status(client, order)
    page = await client.get(f"/orders/{order['id']}", params={"secret": order["secret"]}, headers=HTML)

    assert still["standing"] == "confirming"
    assert (failed["standing"], failed["failure_reason"], failed["in_flight"]) == (
        "failed",
        "Your card was declined.",
        False,
    )
    assert "Your card payment did not go through: Your card was declined." in page.text
    # The card form needs Stripe configured; here the offline provider's form stands in for "pay again".
    assert "(test mode)</button>" in page.text


async def test_confirmed_report_is_refused_for_orders_not_paid_by_card(client: Client, catalog: CatalogFixture) -> None:
    order = await place(client, catalog)
    url = f"/api/orders/{order['id']}/card-payment/confirmed"

    offline = await client.post(url, json={"payment_intent": "pi_abc"}, headers={"X-Order-Secret": order["secret"]})
    anonymous = await client.post(url, json={"payment_intent": "pi_abc"})
    malformed = await client.post(url, json={"payment_intent": "<b>"}, headers={"X-Order-Secret": order["secret"]})

    assert (offline.status_code, offline.json()["code"]) == (409, "wrong_provider")
    assert anonymous.status_code == 404
    assert malformed.status_code in (400, 422) and "payment_intent" in malformed.text


async def test_racing_reports_and_verdicts_end_paid(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await place(client, catalog)
    await as_card_order(settings, order["id"], "pi_standing3")
    url = f"/api/orders/{order['id']}/card-payment/confirmed"
    secret = {"X-Order-Secret": order["secret"]}

    async def verdict() -> None:
        async with db_session_for(settings) as db_session:
            await payment_succeeded(
                db_session,
                order_id=UUID(order["id"]),
                provider_payment_id="pi_standing3",
                amount=order["total"],
                currency=order["currency"],
                actor="stripe",
            )
            await db_session.commit()

    reports = [client.post(url, json={"payment_intent": "pi_standing3"}, headers=secret) for _ in range(8)]
    results = await asyncio.gather(*reports, verdict())
    final = await status(client, order)
    async with db_session_for(settings) as db_session:
        noted = await db_session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_id == UUID(order["id"]), AuditEntry.note.like("%confirmed in the browser%"))
        )

    assert {r.status_code if r else None for r in results[:-1]} == {200}
    assert (final["standing"], final["in_flight"]) == ("paid", False)
    assert noted in (0, 1)  # once, or never if the verdict came first


async def test_a_late_payment_refunded_is_explained_on_the_expired_order(client: Client, settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        small = await build_catalog(db_session, member_seats=1)
    late = await place(client, small)
    await as_card_order(settings, late["id"], "pi_standing_late")
    async with db_session_for(settings) as db_session:
        await begin_write(db_session)
        past = utcnow() - dt.timedelta(minutes=1)
        await db_session.execute(update(Order).where(Order.id == UUID(late["id"])).values(hold_expires_at=past))
        await db_session.commit()
        await expire_holds(db_session, event_id=small.event_id)
        await db_session.commit()
    await place(client, small)  # someone else takes the one seat

    async with db_session_for(settings) as db_session:
        result = await payment_succeeded(
            db_session,
            order_id=UUID(late["id"]),
            provider_payment_id="pi_standing_late",
            amount=late["total"],
            currency=late["currency"],
            actor="stripe",
        )
        await db_session.commit()
    body = await status(client, late)
    page = await client.get(f"/orders/{late['id']}", params={"secret": late["secret"]}, headers=HTML)

    assert result.outcome.value == "refund_needed"
    assert (body["standing"], body["amount_paid"], body["refund_pending"]) == ("expired", late["total"], late["total"])
    assert [(r["amount"], r["of_other_payment"], r["status"]) for r in body["refunds"]] == [
        (late["total"], True, "pending")
    ]
    assert "Your payment arrived after the hold on these seats ran out" in page.text
    assert "Refund on its way" in page.text


def test_a_confirming_report_gives_way_to_an_idle_payment_intent_after_a_while() -> None:
    order = Order(payment_state="confirming", payment_state_at=NOW)
    idle = PaymentRead(provider="stripe", status="required", client_secret="pi_1_secret_x")
    moving = PaymentRead(provider="stripe", status="required", client_secret="pi_1_secret_x", in_flight=True)
    later = NOW + REPORT_PATIENCE + dt.timedelta(seconds=1)

    assert payment_facts(order, idle, now=NOW + dt.timedelta(minutes=1)).report_outdated is False
    assert payment_facts(order, idle, now=later).report_outdated is True
    assert payment_facts(order, moving, now=later).report_outdated is False
    assert payment_facts(order, None, now=later).report_outdated is False  # the status API doesn't ask Stripe
