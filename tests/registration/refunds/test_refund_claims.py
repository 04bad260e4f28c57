"""Refunds are claimed before they are sent, so each reaches the provider once even where it ignores
idempotency keys (localstripe does): racing claims have one winner, a claim whose sender crashed mid-call
adopts the refund the provider made, and two ``podium send-refunds`` processes beside a web worker refund
every cancellation exactly once. Amounts come from the payment rows: a refund never exceeds what its
payment captured, and automatic refunds count in the order's refunded total."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest
import stripe
from sqlalchemy import select, update

from demo.catalog import seed_paid_registrations
from events.models import Event
from podium.settings import Settings
from registration.models import Order, Payment, PriceWindow, Refund
from registration.orders.payment_outcomes import Outcome, payment_succeeded
from registration.payments.ledger import kept_payment, refundable
from registration.payments.services import OfflineTestProvider
from registration.payments.stripe import standalone_provider
from registration.refunds.jobs import send_refund
from registration.refunds.sender import claim_refund
from registration.schemas import OrderCreate
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body, place_committed
from tests.registration.payments.test_stripe import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    Stack,
    _register_webhook,
    order_status,
    pay,
    place,
    wait_until,
)
from tests.servers import localstripe_server, podium_server

LEASE = dt.timedelta(seconds=0.5)


async def _second_payment_claim(settings: Settings, suffix: str) -> tuple[UUID, UUID]:
    """An order paid by one PaymentIntent and a second one claimed for a refund: (order id, refund id)."""
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        data = msgspec.convert(order_body(attendee(add_ons=["workshop"])), OrderCreate)
        order, _ = await place_committed(db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider())
        for intent in (f"pi_{suffix}_a", f"pi_{suffix}_b"):
            result = await payment_succeeded(
                db_session, order_id=order.id, provider_payment_id=intent, amount=52_000, currency="usd", actor="t"
            )
            await db_session.commit()
        assert result.outcome == Outcome.REFUND_NEEDED and result.refund_id is not None
        return order.id, result.refund_id


async def test_racing_claims_have_one_winner(settings: Settings) -> None:
    _, refund_id = await _second_payment_claim(settings, "race")

    async def claim() -> int | None:
        async with db_session_for(settings) as db_session:
            won = await claim_refund(db_session, refund_id, lease=dt.timedelta(minutes=5))
            await db_session.commit()  # as the sender does before calling the provider
            return won.attempt if won else None

    results = await asyncio.gather(*(claim() for _ in range(16)))

    assert sorted(results, key=lambda r: r or 0) == [None] * 15 + [1]
    async with db_session_for(settings) as db_session:
        row = await db_session.get_one(Refund, refund_id)
        assert (row.status, row.attempts, row.idempotency_key) == ("sending", 1, f"podium-refund-{refund_id}")


async def test_a_claim_is_taken_again_only_after_its_lease(settings: Settings) -> None:
    _, refund_id = await _second_payment_claim(settings, "lease")
    now = dt.datetime.now(dt.UTC)

    async with db_session_for(settings) as db_session:
        first = await claim_refund(db_session, refund_id, lease=dt.timedelta(seconds=60), now=now)
        await db_session.commit()
        during = await claim_refund(db_session, refund_id, lease=dt.timedelta(seconds=60), now=now)
        await db_session.commit()
        after = await claim_refund(
            db_session, refund_id, lease=dt.timedelta(seconds=60), now=now + dt.timedelta(seconds=61)
        )
        await db_session.commit()

    assert (first and first.attempt, during, after and after.attempt) == (1, None, 2)


@dataclass
class FakeRefund:
    id: str
    amount: int
    metadata: dict[str, str]
    status: str = "succeeded"


@dataclass
class FakeStripe:
    """A provider that, like localstripe, ignores idempotency keys; it can die mid-call or answer late."""

    refund_lease: dt.timedelta = LEASE
    made: list[tuple[str, FakeRefund]] = field(default_factory=list)
    crash_after_making: bool = False
    answer_after: float = 0.0

    async def refund(self, payment_intent_id: str, amount: int, *, key: str, refund_id: str) -> FakeRefund:
        made = FakeRefund(f"re_{len(self.made) + 1}", amount, {"podium_refund_id": refund_id})
        self.made.append((payment_intent_id, made))
        if self.crash_after_making:
            raise ConnectionResetError("the worker died before it read the answer")
        await asyncio.sleep(self.answer_after)
        return made

    async def find_refund(self, payment_intent_id: str, refund_id: str) -> FakeRefund | None:
        for intent, made in self.made:
            if intent == payment_intent_id and made.metadata["podium_refund_id"] == refund_id:
                return made
        return None


async def _row(settings: Settings, refund_id: UUID) -> tuple[str, int, str | None]:
    async with db_session_for(settings) as db_session:
        row = await db_session.get_one(Refund, refund_id)
        return row.status, row.attempts, row.provider_refund_id


async def test_a_claim_lost_mid_call_adopts_the_providers_refund(settings: Settings) -> None:
    order_id, refund_id = await _second_payment_claim(settings, "crash")
    # A lease far longer than the test, run out by hand: a loaded machine cannot let it lapse early.
    provider = FakeStripe(refund_lease=dt.timedelta(minutes=10), crash_after_making=True)
    async with db_session_for(settings) as db_session:
        with pytest.raises(ConnectionResetError):
            await send_refund(db_session, provider, refund_id)
    stuck = await _row(settings, refund_id)
    provider.crash_after_making = False

    async with db_session_for(settings) as db_session:
        too_soon = await send_refund(db_session, provider, refund_id)
    async with db_session_for(settings) as db_session:
        lapsed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await db_session.execute(update(Refund).where(Refund.id == refund_id).values(lease_until=lapsed))
        await db_session.commit()
    async with db_session_for(settings) as db_session:
        adopted = await send_refund(db_session, provider, refund_id)

    assert stuck == ("sending", 1, None)
    assert (too_soon, adopted) == (False, True)
    assert [(intent, made.amount) for intent, made in provider.made] == [("pi_crash_b", 52_000)]
    assert await _row(settings, refund_id) == ("succeeded", 2, "re_1")
    async with db_session_for(settings) as db_session:
        order = await db_session.get_one(Order, order_id)
        assert order.amount_refunded == 52_000  # the automatic refund counts in the order's refunded total


async def test_an_answer_after_the_lease_is_not_recorded_and_the_next_claim_adopts_it(settings: Settings) -> None:
    _, refund_id = await _second_payment_claim(settings, "slow")
    provider = FakeStripe(answer_after=LEASE.total_seconds() + 0.3)

    async with db_session_for(settings) as db_session:
        late = await send_refund(db_session, provider, refund_id)
    after_late = await _row(settings, refund_id)
    provider.answer_after = 0
    async with db_session_for(settings) as db_session:
        adopted = await send_refund(db_session, provider, refund_id)

    assert (late, after_late) == (False, ("sending", 1, None))
    assert adopted is True
    assert len(provider.made) == 1
    assert await _row(settings, refund_id) == ("succeeded", 2, "re_1")


async def test_a_refund_above_what_the_payment_has_left_is_refused(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    secret = {"X-Order-Secret": order["secret"]}
    paid = (await client.post(f"/api/orders/{order['id']}/offline-payment", headers=secret)).json()
    url = f"/api/orders/{order['id']}/refunds"

    first = await client.post(url, json={"amount": 30_000, "reason": "goodwill"}, headers=organizer)
    too_much = await client.post(url, json={"amount": 10_001, "reason": "more"}, headers=organizer)
    rest = await client.post(url, json={"amount": 10_000, "reason": "the rest"}, headers=organizer)
    nothing_left = await client.post(url, json={"amount": 1, "reason": "one more"}, headers=organizer)
    read = (await client.get(f"/api/orders/{order['id']}", headers=secret)).json()

    assert paid["amount_paid"] == 40_000
    assert (first.status_code, rest.status_code) == (201, 201)
    for refused in (too_much, nothing_left):
        problem = refused.json()
        assert (refused.status_code, problem["code"], problem["field"]) == (422, "exceeds_captured", "amount")
    assert (read["amount_paid"], read["amount_refunded"]) == (40_000, 40_000)
    assert [(p["kept"], p["amount_captured"], p["amount_refunded"]) for p in read["payments"]] == [
        (True, 40_000, 40_000)
    ]
    async with db_session_for(settings) as db_session:
        payment = await kept_payment(db_session, UUID(order["id"]))
        assert payment is not None and await refundable(db_session, payment) == 0


async def test_organizer_figures_include_automatic_refunds_and_pending_ones(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    order_id, _ = await _second_payment_claim(settings, "stats")
    async with db_session_for(settings) as db_session:
        order = await db_session.get_one(Order, order_id)
        slug = (await db_session.get_one(Event, order.event_id)).slug

    stats = (await client.get(f"/api/events/{slug}/registration-stats", headers=organizer)).json()

    assert (stats["paid_orders"], stats["gross_revenue"], stats["refunded"], stats["refund_pending"]) == (
        1,
        104_000,
        0,
        52_000,
    )
    assert stats["net_revenue"] == 104_000


# --- Against localstripe: real SDK, real processes (PostgreSQL: two processes on one SQLite file queue for
# its one write lock, which this test isn't about) ---


@pytest.fixture(scope="module")
def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("refund-claims")

    async def catalog() -> Any:
        async with db_session_for(settings) as db_session:
            built = await build_catalog(db_session, workshop_seats=100)
            # The wrong-amount case: a 650.00 registration.
            await db_session.execute(
                update(PriceWindow).where(PriceWindow.category_id == built.non_member.id).values(amount=65_000)
            )
            await db_session.commit()
            return built

    with localstripe_server(workdir) as stripe_api:
        env = {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_podium",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_api,
            # The web worker sends refunds too (its own loop and the webhook's), racing the two processes.
            "PODIUM_REFUND_SEND_SECONDS": "0.2",
            "PODIUM_MAIL_DRAIN_SECONDS": "0",
            "PODIUM_HOLD_SWEEP_SECONDS": "0",
        }
        with podium_server(settings, workdir, **env) as podium:
            _register_webhook(stripe_api, f"{podium}/api/payments/stripe/webhook")
            http_client = stripe.HTTPXClient(allow_sync_methods=True)
            client = stripe.StripeClient(
                SECRET_KEY, base_addresses={"api": stripe_api}, max_network_retries=0, http_client=http_client
            )
            try:
                yield Stack(podium, stripe_api, settings, asyncio.run(catalog()), client)
            finally:
                http_client.close()


def _cli_env(stack: Stack, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": stack.settings.database_url,
        "PODIUM_SECRET_KEY": stack.settings.secret_key,
        "PODIUM_DATA_DIR": str(stack.settings.data_dir),
        "PODIUM_ENV": "test",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_API_BASE": stack.stripe_api,
        **extra,
    }


def _sender(stack: Stack, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "podium.main", "send-refunds", *args],
        env=_cli_env(stack, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _refunds_at_stripe(stack: Stack, intent_id: str) -> list[tuple[int, str | None]]:
    return [(r.amount, r.status) for r in stack.client.v1.refunds.list(params={"payment_intent": intent_id}).data]


def _stored(stack: Stack, order_ids: list[str]) -> list[tuple[str, int, str, int]]:
    async def read() -> list[tuple[str, int, str, int]]:
        async with db_session_for(stack.settings) as db_session:
            rows = await db_session.execute(
                select(Payment.provider_payment_id, Refund.amount, Refund.status, Refund.attempts)
                .join(Payment, Payment.id == Refund.payment_id)
                .where(Refund.order_id.in_(order_ids))
            )
            return sorted(tuple(r) for r in rows.all())

    return asyncio.run(read())


def _skip_on_sqlite(stack: Stack) -> None:
    if stack.settings.is_sqlite:
        pytest.skip("several processes writing one SQLite file wait on its single write lock; run on PostgreSQL")


def test_cancellations_refunded_once_each_by_two_sender_processes_and_a_web_worker(stack: Stack) -> None:
    _skip_on_sqlite(stack)
    count = 12
    placed = [place(stack, attendee()) for _ in range(count)]
    intents = [pay(stack, order) for order in placed]
    wait_until(lambda: all(order_status(stack, order) == "paid" for order in placed), timeout=60)
    senders = [_sender(stack, "--every", "0.05", "--rounds", "200") for _ in range(2)]

    async def cancel_all() -> list[int]:
        async with httpx.AsyncClient(timeout=60) as client:
            responses = await asyncio.gather(
                *(
                    client.post(f"{stack.podium}/api/orders/{o['id']}/cancel", headers={"X-Order-Secret": o["secret"]})
                    for o in placed
                )
            )
            return [r.status_code for r in responses]

    try:
        statuses = asyncio.run(cancel_all())
        ids = [o["id"] for o in placed]
        wait_until(lambda: [s for _, _, s, _ in _stored(stack, ids)] == ["succeeded"] * count, timeout=90)
    finally:
        outputs = []
        for sender in senders:
            sender.terminate()
            outputs.append(sender.communicate(timeout=30)[0])

    assert statuses == [200] * count
    assert [_refunds_at_stripe(stack, intent) for intent in intents] == [[(40_000, "succeeded")]] * count
    assert sorted((intent, amount, attempts) for intent, amount, _, attempts in _stored(stack, ids)) == sorted(
        (intent, 40_000, 1) for intent in intents
    ), outputs


def test_a_wrong_amount_is_refunded_what_it_captured(stack: Stack) -> None:
    order = place(stack, attendee(category="non-member", member_number=None))
    wrong = stack.client.v1.payment_intents.create(
        params={
            "amount": 1_000,
            "currency": "usd",
            "metadata": {"order_id": order["id"]},
            "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]  # the API takes it; stripe's params type omits it
        }
    )

    pay(stack, {"payment": {"client_secret": f"{wrong.id}_secret_x"}})

    wait_until(lambda: _refunds_at_stripe(stack, wrong.id) == [(1_000, "succeeded")], timeout=30)
    wait_until(lambda: [s for _, _, s, _ in _stored(stack, [order["id"]])] == ["succeeded"], timeout=30)
    read = httpx.get(f"{stack.podium}/api/orders/{order['id']}", params={"secret": order["secret"]}).json()
    assert (order["total"], read["status"]) == (65_000, "pending")
    assert (read["amount_paid"], read["amount_refunded"]) == (0, 1_000)
    assert [
        (p["provider_payment_id"], p["kept"], p["amount_captured"], p["amount_refunded"]) for p in read["payments"]
    ] == [(wrong.id, False, 1_000, 1_000)]


def test_a_sender_that_died_after_stripe_made_the_refund_is_adopted_not_repeated(stack: Stack) -> None:
    order = place(stack, attendee())
    intent = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")
    settings = dataclasses.replace(
        stack.settings, stripe_secret_key=SECRET_KEY, stripe_api_base=stack.stripe_api, refund_lease_seconds=0.5
    )

    async def crash_mid_call() -> UUID:
        async with db_session_for(settings) as db_session:
            # A refund as a sender holds it right after its claim (written claimed at once: the web worker's
            # own sender would otherwise race this test for a pending one), then made at Stripe.
            paid = await db_session.get_one(Order, UUID(order["id"]))
            payment = await kept_payment(db_session, paid.id)
            assert payment is not None
            row = Refund(
                order_id=paid.id, payment_id=payment.id, amount=7_000, reason="test", status="sending", actor="t",
                attempts=1, lease_until=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.5),
                idempotency_key="podium-refund-x",
            )  # fmt: skip
            db_session.add(row)
            await db_session.commit()
            async with standalone_provider(settings) as provider:
                await provider.refund(intent, 7_000, key="podium-refund-x", refund_id=str(row.id))
            return row.id  # ...and the worker dies here, before recording Stripe's answer

    refund_id = asyncio.run(crash_mid_call())
    time.sleep(0.7)
    output = _sender(stack).communicate(timeout=60)[0]  # one round; the web worker's sender may adopt it first
    try:
        wait_until(lambda: _stored(stack, [order["id"]]) == [(intent, 7_000, "succeeded", 2)], timeout=30)
    except AssertionError as exc:
        raise AssertionError(f"{_stored(stack, [order['id']])}; sender: {output}") from exc

    assert _refunds_at_stripe(stack, intent) == [(7_000, "succeeded")], output
    assert refund_id is not None


async def test_demo_orders_carry_the_payment_that_paid_them(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        event = await db_session.get_one(Event, catalog.event_id)
        seeded = await seed_paid_registrations(db_session, event, 4)
        await db_session.commit()
        paid = (await db_session.scalars(select(Order).where(Order.event_id == event.id))).all()

        payments = [await kept_payment(db_session, order.id) for order in paid]

    assert seeded == len(paid) == 4
    assert [(p.provider_payment_id, p.amount_captured) for p in payments if p] == [
        (f"offline-{o.id}", o.total) for o in paid
    ]
