"""One payment per order, with the real stripe SDK against localstripe and two Podium workers on one
database: whichever PaymentIntent succeeds first pays the order, every other is refunded in full (what it
captured), once, whatever the order, repetition or concurrency of the webhooks, or when
`podium reconcile-payments` finds the payment instead of a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import case, select

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.models import Order, Payment, Refund
from tests.registration.factories import attendee, build_catalog, db_session_for, outbox_mails
from tests.registration.payments.test_stripe import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    Stack,
    event,
    notes,
    pay,
    place,
    reconcile_cli,
    signed,
)
from tests.servers import localstripe_server, podium_server

TOTAL = 40_000  # one member registration, no add-ons


@dataclass(frozen=True)
class Workers:
    """Two Podium processes on one PostgreSQL database (``stack.podium`` and ``other``), as behind a load
    balancer; on SQLite, which is for one process, ``other`` is the same worker (its requests still race).
    No webhook is registered at localstripe: each test delivers the events itself, in the order it means."""

    stack: Stack
    other: str


@dataclass(frozen=True)
class Stored:
    status: str
    paid_by: str | None
    refunds: list[tuple[int, str, str | None, bool]]  # amount, status, refunded intent, sent to Stripe
    mails: list[str]  # subjects of the buyer's refund mails


@pytest.fixture(scope="module")
def workers(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    workdir: Path = tmp_path_factory.mktemp("duplicate-payments")

    async def catalog() -> Any:
        async with db_session_for(settings) as db_session:
            return await build_catalog(db_session, workshop_seats=50)

    env = {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_podium",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PODIUM_REFUND_SEND_SECONDS": "0",  # only the webhook that claims a refund (or reconcile) sends it
        # No other background work in the workers: mails are counted in the outbox, not sent.
        "PODIUM_MAIL_DRAIN_SECONDS": "0",
        "PODIUM_HOLD_SWEEP_SECONDS": "0",
        "PODIUM_WEB_RUNS_JOBS": "0",
    }
    with localstripe_server(workdir) as stripe_api:
        env["STRIPE_API_BASE"] = stripe_api
        with podium_server(settings, workdir, **env) as first, contextlib.ExitStack() as more:
            second = first if settings.is_sqlite else more.enter_context(podium_server(settings, workdir, **env))
            http_client = stripe.HTTPXClient(allow_sync_methods=True)
            client = stripe.StripeClient(
                SECRET_KEY, base_addresses={"api": stripe_api}, max_network_retries=0, http_client=http_client
            )
            try:
                yield Workers(Stack(first, stripe_api, settings, asyncio.run(catalog()), client), second)
            finally:
                http_client.close()


def another_intent(stack: Stack, order: dict[str, Any], amount: int = TOTAL) -> str:
    """A second PaymentIntent for ``order`` (a retried card form, an intent left by an earlier attempt)."""
    intent = stack.client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "metadata": {"order_id": order["id"]},
            "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]  # the API takes it; stripe's params type omits it
        }
    )
    return intent.id


def pay_intent(stack: Stack, intent_id: str) -> str:
    return pay(stack, {"payment": {"client_secret": f"{intent_id}_secret_x"}})


def succeeded(stack: Stack, intent_id: str, **overrides: Any) -> dict[str, Any]:
    """The payment_intent.succeeded event Stripe sends, built from the intent as Stripe reports it."""
    intent = stack.client.v1.payment_intents.retrieve(intent_id).to_dict()
    assert intent["status"] == "succeeded"
    return event(f"evt_{secrets.token_hex(8)}", "payment_intent.succeeded", {**intent, **overrides})


async def deliver_async(client: httpx.AsyncClient, worker: str, body: dict[str, Any]) -> str:
    payload, header = signed(body)
    response = await client.post(
        f"{worker}/api/payments/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["outcome"])


def deliver(workers: Workers, *bodies: dict[str, Any], concurrently: bool = False) -> list[str]:
    """Deliver events (to the two workers in turn), one after another or all at once; their outcomes."""

    async def run() -> list[str]:
        targets = [(workers.stack.podium, workers.other)[i % 2] for i in range(len(bodies))]
        async with httpx.AsyncClient(timeout=60) as client:
            if concurrently:
                return list(
                    await asyncio.gather(*(deliver_async(client, w, b) for w, b in zip(targets, bodies, strict=True)))
                )
            return [await deliver_async(client, w, b) for w, b in zip(targets, bodies, strict=True)]

    return asyncio.run(run())


def stored(stack: Stack, order: dict[str, Any]) -> Stored:
    async def read() -> Stored:
        async with db_session_for(stack.settings) as db_session:
            found = await db_session.get(Order, order["id"])
            assert found is not None
            refunds = await db_session.execute(
                select(
                    Refund.amount,
                    Refund.status,
                    case((Payment.kept, None), else_=Payment.provider_payment_id),
                    Refund.provider_refund_id,
                )
                .join(Payment, Payment.id == Refund.payment_id)
                .where(Refund.order_id == order["id"])
                .order_by(Refund.created_at)
            )
            refund_rows = refunds.all()
            mails = await outbox_mails(db_session, OutboxMessage.dedupe_key.like(f"payment-refund:{order['id']}:%"))
            return Stored(
                found.status,
                found.provider_payment_id,
                [(a, s, i, p is not None) for a, s, i, p in refund_rows],
                [mail.subject for _, mail in mails],
            )

    return asyncio.run(read())


def refunded_at_stripe(stack: Stack, intent_id: str) -> list[tuple[int, str | None]]:
    found = stack.client.v1.refunds.list(params={"payment_intent": intent_id})
    return [(r.amount, r.status) for r in found.data]


def test_second_payment_for_a_paid_order_is_refunded_once(workers: Workers) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    first = pay(stack, order)
    second = pay_intent(stack, another_intent(stack, order))
    first_event, second_event = succeeded(stack, first), succeeded(stack, second)

    outcomes = deliver(workers, first_event, second_event, second_event)

    assert outcomes == ["confirmed", "refund_needed", "duplicate"]
    after = stored(stack, order)
    assert (after.status, after.paid_by) == ("paid", first)
    assert after.refunds == [(TOTAL, "succeeded", second, True)]
    assert refunded_at_stripe(stack, second) == [(TOTAL, "succeeded")]
    assert refunded_at_stripe(stack, first) == []
    assert after.mails == ["Test Meeting: your second payment of USD 400.00 is being refunded"]
    trail = notes(stack, order)
    assert trail[-2] == (
        f"payment {second}: a second payment for an order already paid by {first}; refund of USD 400.00 claimed"
    )
    assert trail[-1].startswith("refund re_") and trail[-1].endswith(
        f"of USD 400.00 on payment {second} sent (succeeded)"
    )


def test_a_second_event_for_a_refunded_payment_changes_nothing(workers: Workers) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    first = pay(stack, order)
    second = pay_intent(stack, another_intent(stack, order))
    deliver(workers, succeeded(stack, first), succeeded(stack, second))
    trail = notes(stack, order)

    # Another event about the same payment (a resent event, a payment found twice) is not a second claim.
    again = deliver(workers, succeeded(stack, second), succeeded(stack, first))

    assert again == ["already_refunded", "already_paid"]
    after = stored(stack, order)
    assert after.refunds == [(TOTAL, "succeeded", second, True)]
    assert refunded_at_stripe(stack, second) == [(TOTAL, "succeeded")]
    assert len(after.mails) == 1
    assert notes(stack, order) == trail


def test_the_refund_is_what_the_second_payment_captured_not_the_order_total(workers: Workers) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    first = pay(stack, order)
    second = pay_intent(stack, another_intent(stack, order))

    outcomes = deliver(workers, succeeded(stack, first), succeeded(stack, second, amount_received=35_000))

    assert outcomes == ["confirmed", "refund_needed"]
    assert stored(stack, order).refunds == [(35_000, "succeeded", second, True)]
    assert refunded_at_stripe(stack, second) == [(35_000, "succeeded")]


def test_the_second_intent_succeeding_first_pays_and_the_orders_own_is_refunded(workers: Workers) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    own = order["payment"]["client_secret"].split("_secret")[0]
    other = pay_intent(stack, another_intent(stack, order))
    paid_by_other = deliver(workers, succeeded(stack, other))

    pay(stack, order)
    late_own = deliver(workers, succeeded(stack, own))

    assert (paid_by_other, late_own) == (["confirmed"], ["refund_needed"])
    after = stored(stack, order)
    assert (after.status, after.paid_by) == ("paid", other)
    assert after.refunds == [(TOTAL, "succeeded", own, True)]
    assert (refunded_at_stripe(stack, own), refunded_at_stripe(stack, other)) == ([(TOTAL, "succeeded")], [])
    assert len(after.mails) == 1
    assert [n for n in notes(stack, order) if n.startswith("payment ")] == [
        f"payment {other}",
        f"payment {own}: a second payment for an order already paid by {other}; refund of USD 400.00 claimed",
    ]


@pytest.mark.parametrize("round_", range(4))
def test_both_payments_racing_on_two_workers_pay_once_and_refund_once(workers: Workers, round_: int) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    intents = [pay(stack, order), pay_intent(stack, another_intent(stack, order))]
    events = [succeeded(stack, i) for i in intents]
    # Each event delivered four times (Stripe's retries), all at once, alternating between the workers.
    copies = [events[(i + round_) % 2] for i in range(8)]

    outcomes = deliver(workers, *copies, concurrently=True)

    assert sorted(outcomes) == ["confirmed", *["duplicate"] * 6, "refund_needed"]
    after = stored(stack, order)
    assert after.status == "paid"
    refunded = next(i for i in intents if i != after.paid_by)
    assert after.paid_by in intents
    assert after.refunds == [(TOTAL, "succeeded", refunded, True)]
    assert (refunded_at_stripe(stack, refunded), refunded_at_stripe(stack, after.paid_by)) == (
        [(TOTAL, "succeeded")],
        [],
    )
    assert len(after.mails) == 1


def test_reconcile_finds_a_second_payment_no_webhook_told_of(workers: Workers) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    first = pay(stack, order)
    deliver(workers, succeeded(stack, first))
    second = pay_intent(stack, another_intent(stack, order))  # its webhook is lost

    found = reconcile_cli(stack)
    again = reconcile_cli(stack)

    assert (found.get("refund_needed"), found.get("refund_sent")) == (1, 1)
    assert (again.get("refund_needed"), again.get("refund_sent")) == (None, None)
    after = stored(stack, order)
    assert (after.status, after.paid_by) == ("paid", first)
    assert after.refunds == [(TOTAL, "succeeded", second, True)]
    assert refunded_at_stripe(stack, second) == [(TOTAL, "succeeded")]
    assert len(after.mails) == 1
    # The webhook arriving after all changes nothing.
    assert deliver(workers, succeeded(stack, second)) == ["already_refunded"]


def test_reconcile_finds_the_orders_own_intent_paid_after_another_paid_the_order(workers: Workers) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    own = order["payment"]["client_secret"].split("_secret")[0]
    other = pay_intent(stack, another_intent(stack, order))
    deliver(workers, succeeded(stack, other))
    pay(stack, order)  # the order's own intent succeeds too; its webhook is lost

    found = reconcile_cli(stack)

    assert (found.get("refund_needed"), found.get("refund_sent")) == (1, 1)
    after = stored(stack, order)
    assert (after.status, after.paid_by) == ("paid", other)
    assert after.refunds == [(TOTAL, "succeeded", own, True)]
    assert refunded_at_stripe(stack, own) == [(TOTAL, "succeeded")]


def test_reconcile_leaves_a_payment_refunded_at_stripe_alone(workers: Workers) -> None:
    stack = workers.stack
    order = place(stack, attendee())
    first = pay(stack, order)
    deliver(workers, succeeded(stack, first))
    second = pay_intent(stack, another_intent(stack, order))  # its webhook is lost
    # Someone saw the double charge and refunded it in Stripe's dashboard.
    stack.client.v1.refunds.create(params={"payment_intent": second})

    found = reconcile_cli(stack)

    assert found.get("refund_needed") is None
    assert stored(stack, order).refunds == []
    assert refunded_at_stripe(stack, second) == [(TOTAL, "succeeded")]
