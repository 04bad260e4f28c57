"""Card payments with the real stripe SDK against a local Stripe-compatible server (localstripe): the
PaymentIntent per order, signed webhooks applied once, late payments honoured or refunded, refunds
mirrored, and reconciliation when a webhook is lost."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from click.testing import CliRunner
from sqlalchemy import case, func, select, update

from podium.db import utcnow
from podium.main.cli import reconcile_payments_command
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.cancellations import services as cancellations
from registration.models import Order, Payment, Refund, StateChange, WebhookEvent
from registration.orders.holds import expire_holds
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body
from tests.servers import localstripe_server, podium_server

WEBHOOK_SECRET = "whsec_podium_test"
SECRET_KEY = "sk_test_podium"
VISA, DECLINED_AT_CHARGE = "4242424242424242", "4000000000000341"


@dataclass(frozen=True)
class Stack:
    podium: str
    stripe_api: str
    settings: Settings
    catalog: CatalogFixture
    client: stripe.StripeClient


def _register_webhook(stripe_api: str, url: str) -> None:
    response = httpx.post(f"{stripe_api}/_config/webhooks/podium", data={"url": url, "secret": WEBHOOK_SECRET})
    response.raise_for_status()


@pytest.fixture(scope="module")
def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("stripe")

    async def catalog() -> CatalogFixture:
        async with db_session_for(settings) as db_session:
            return await build_catalog(db_session, workshop_seats=50)

    with localstripe_server(workdir) as stripe_api:
        env = {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_podium",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_api,
            # Pending refunds are sent by `podium reconcile-payments` in this module (see test_refund_sender).
            "PODIUM_REFUND_SEND_SECONDS": "0",
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


def place(stack: Stack, *people: dict[str, object], slug: str | None = None) -> dict[str, Any]:
    response = httpx.post(f"{stack.podium}/api/events/{slug or stack.catalog.slug}/orders", json=order_body(*people))
    assert response.status_code == 201, response.text
    return response.json()


def pay(stack: Stack, order: dict[str, Any], card: str = VISA) -> str:
    intent_id = order["payment"]["client_secret"].split("_secret")[0]
    method = stack.client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2031, "cvc": "123"}}
    )
    # localstripe confirms only an intent that already has its payment method (Stripe.js does both in one go).
    stack.client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    stack.client.v1.payment_intents.confirm(intent_id)
    return intent_id


def order_status(stack: Stack, order: dict[str, Any]) -> str:
    response = httpx.get(f"{stack.podium}/api/orders/{order['id']}", params={"secret": order["secret"]})
    return str(response.json()["status"])


def wait_until(predicate: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.2)


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """A webhook body and its header, signed exactly as Stripe signs: HMAC-SHA256 over "t.payload"."""
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={timestamp},v1={signature}"


def deliver(stack: Stack, event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> httpx.Response:
    payload, header = signed(event, secret)
    return httpx.post(
        f"{stack.podium}/api/payments/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )


def event(event_id: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()), "data": {"object": obj}}


def notes(stack: Stack, order: dict[str, Any]) -> list[str]:
    """The order's audit trail, oldest first."""

    async def read() -> list[str]:
        async with db_session_for(stack.settings) as db_session:
            rows = await db_session.scalars(
                select(StateChange.note)
                .where(StateChange.entity == "order", StateChange.entity_id == order["id"])
                .order_by(StateChange.created_at)
            )
            return list(rows.all())

    return asyncio.run(read())


def recorded_events(stack: Stack, event_id: str) -> int:
    async def count() -> int:
        async with db_session_for(stack.settings) as db_session:
            return int(await db_session.scalar(select(func.count()).where(WebhookEvent.event_id == event_id)) or 0)

    return asyncio.run(count())


def reconcile_cli(stack: Stack) -> dict[str, int]:
    """``podium reconcile-payments`` as an operator runs it, parsed from its one-line summary."""
    env = {
        "DATABASE_URL": stack.settings.database_url,
        "PODIUM_SECRET_KEY": stack.settings.secret_key,
        "PODIUM_DATA_DIR": str(stack.settings.data_dir),
        "PODIUM_ENV": "test",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_API_BASE": stack.stripe_api,
    }
    result = CliRunner().invoke(reconcile_payments_command, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = result.output.strip()
    if summary == "no open card payments":
        return {}
    return {name: int(n) for name, n in (part.split(": ") for part in summary.split(", "))}


def paid_intent(intent_id: str, order: dict[str, Any], amount: int = 40_000) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": "usd",
        "metadata": {"order_id": order["id"]},
        "last_payment_error": {"message": "late"},
    }


def test_card_payment_confirms_the_order_through_the_webhook(stack: Stack) -> None:
    order = place(stack, attendee(add_ons=["workshop"]))
    payment = order["payment"]

    intent_id = pay(stack, order)

    intent = stack.client.v1.payment_intents.retrieve(intent_id)
    assert (payment["provider"], payment["publishable_key"]) == ("stripe", "pk_test_podium")
    assert (intent.amount, intent.currency, intent.metadata["order_id"]) == (52_000, "usd", order["id"])
    wait_until(lambda: order_status(stack, order) == "paid")
    again = httpx.get(f"{stack.podium}/api/orders/{order['id']}", params={"secret": order["secret"]}).json()
    assert again["registrations"][0]["status"] == "confirmed"
    assert again["payment"]["status"] == "paid"


def test_reading_a_pending_order_reuses_its_payment_intent(stack: Stack) -> None:
    order = place(stack, attendee())

    again = httpx.get(f"{stack.podium}/api/orders/{order['id']}", params={"secret": order["secret"]}).json()

    assert again["payment"]["client_secret"] == order["payment"]["client_secret"]


def test_declined_card_leaves_the_order_pending(stack: Stack) -> None:
    order = place(stack, attendee())

    with pytest.raises(stripe.CardError):
        intent_id = order["payment"]["client_secret"].split("_secret")[0]
        pay(stack, order, card=DECLINED_AT_CHARGE)
    wait_until(lambda: any("failed" in note for note in notes(stack, order)))

    assert order_status(stack, order) == "pending"
    assert [n for n in notes(stack, order) if "failed" in n] == [f"payment {intent_id} failed: Your card was declined."]


def test_bad_signature_is_refused_and_changes_nothing(stack: Stack) -> None:
    order = place(stack, attendee())
    intent_id = order["payment"]["client_secret"].split("_secret")[0]
    forged = event(
        "evt_forged",
        "payment_intent.succeeded",
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": 40_000,
            "amount_received": 40_000,
            "currency": "usd",
            "metadata": {"order_id": order["id"]},
        },
    )

    response = deliver(stack, forged, secret="whsec_wrong")
    unsigned = httpx.post(f"{stack.podium}/api/payments/stripe/webhook", content=b"{}")

    assert (response.status_code, response.json()["field"]) == (400, "Stripe-Signature")
    assert unsigned.status_code == 400
    assert order_status(stack, order) == "pending"


def test_event_of_an_unhandled_type_is_acknowledged_and_ignored(stack: Stack) -> None:
    customer = {"id": "cus_ignored", "object": "customer"}

    first = deliver(stack, event("evt_ignored", "customer.created", customer))
    second = deliver(stack, event("evt_ignored", "customer.created", customer))

    assert [(r.status_code, r.json()["outcome"]) for r in (first, second)] == [(200, "ignored"), (200, "duplicate")]
    assert recorded_events(stack, "evt_ignored") == 1


def test_replayed_and_out_of_order_events_change_nothing_twice(stack: Stack) -> None:
    order = place(stack, attendee())
    intent_id = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")
    trail = notes(stack, order)
    intent = paid_intent(intent_id, order)

    succeeded_again = deliver(stack, event("evt_replay_1", "payment_intent.succeeded", intent))
    replay = deliver(stack, event("evt_replay_1", "payment_intent.succeeded", intent))
    late_failure = deliver(stack, event("evt_replay_2", "payment_intent.payment_failed", intent))
    late_failure_again = deliver(stack, event("evt_replay_2", "payment_intent.payment_failed", intent))

    assert [r.json()["outcome"] for r in (succeeded_again, replay, late_failure, late_failure_again)] == [
        "already_paid",
        "duplicate",
        "noted",
        "duplicate",
    ]
    assert order_status(stack, order) == "paid"
    assert notes(stack, order) == [*trail, f"payment {intent_id} failed: late"]
    assert (recorded_events(stack, "evt_replay_1"), recorded_events(stack, "evt_replay_2")) == (1, 1)


def test_the_same_event_racing_itself_is_applied_once(stack: Stack) -> None:
    order = place(stack, attendee())
    intent_id = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")
    trail = notes(stack, order)
    payload, header = signed(event("evt_race", "payment_intent.payment_failed", paid_intent(intent_id, order)))

    async def race() -> list[str]:
        async with httpx.AsyncClient() as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        f"{stack.podium}/api/payments/stripe/webhook",
                        content=payload,
                        headers={"Stripe-Signature": header, "content-type": "application/json"},
                    )
                    for _ in range(8)
                )
            )
        return sorted(r.json()["outcome"] for r in responses)

    outcomes = asyncio.run(race())

    assert outcomes == ["duplicate"] * 7 + ["noted"]
    assert notes(stack, order) == [*trail, f"payment {intent_id} failed: late"]
    assert recorded_events(stack, "evt_race") == 1


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("payment_intent.succeeded", "amount"),
        ("payment_intent.succeeded", "currency"),
        ("payment_intent.succeeded", "id"),
        ("payment_intent.payment_failed", "id"),
    ],
)
def test_signed_event_missing_a_field_is_recorded_and_acknowledged(stack: Stack, kind: str, missing: str) -> None:
    order = place(stack, attendee())
    intent = paid_intent("pi_malformed", order)
    del intent[missing]
    if missing == "amount":
        del intent["amount_received"]
    event_id = f"evt_malformed_{kind}_{missing}"

    first = deliver(stack, event(event_id, kind, intent))
    again = deliver(stack, event(event_id, kind, intent))

    assert [(r.status_code, r.json()["outcome"]) for r in (first, again)] == [(200, "malformed"), (200, "duplicate")]
    assert recorded_events(stack, event_id) == 1
    assert order_status(stack, order) == "pending"
    assert [note for note in notes(stack, order) if "pi_malformed" in note] == []


def test_signed_refund_without_amount_is_recorded_and_changes_nothing(stack: Stack) -> None:
    order = place(stack, attendee())
    intent_id = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")
    charge = {
        "id": "ch_malformed",
        "object": "charge",
        "payment_intent": intent_id,
        "amount_refunded": 15_000,
        "refunds": {"object": "list", "data": [{"id": "re_malformed", "object": "refund", "status": "succeeded"}]},
    }

    response = deliver(stack, event("evt_refund_malformed", "charge.refunded", charge))

    async def refunded() -> tuple[int, int]:
        async with db_session_for(stack.settings) as db_session:
            total = await db_session.scalar(select(Order.amount_refunded).where(Order.provider_payment_id == intent_id))
            rows = await db_session.scalar(select(func.count()).where(Refund.provider_refund_id == "re_malformed"))
            return int(total or 0), int(rows or 0)

    assert (response.status_code, response.json()["outcome"]) == (200, "malformed")
    assert recorded_events(stack, "evt_refund_malformed") == 1
    assert asyncio.run(refunded()) == (0, 0)


def test_charge_refunded_is_mirrored_once(stack: Stack) -> None:
    order = place(stack, attendee())
    intent_id = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")
    charge = {
        "id": "ch_mirror",
        "object": "charge",
        "payment_intent": intent_id,
        "amount": 40_000,
        "amount_refunded": 15_000,
        "refunds": {
            "object": "list",
            "data": [{"id": "re_mirror_1", "object": "refund", "amount": 15_000, "status": "succeeded"}],
        },
    }

    first = deliver(stack, event("evt_refund_1", "charge.refunded", charge))
    second = deliver(stack, event("evt_refund_2", "charge.refunded", charge))

    async def stored() -> tuple[int, list[tuple[int, str]]]:
        async with db_session_for(stack.settings) as db_session:
            refunded = await db_session.scalar(
                select(Order.amount_refunded).where(Order.provider_payment_id == intent_id)
            )
            rows = (
                await db_session.execute(
                    select(Refund.amount, Refund.status).where(Refund.provider_refund_id == "re_mirror_1")
                )
            ).all()
            return int(refunded or 0), [tuple(r) for r in rows]

    assert (first.json()["outcome"], second.json()["outcome"]) == ("refund_recorded", "refund_recorded")
    assert asyncio.run(stored()) == (15_000, [(15_000, "succeeded")])


def test_a_refund_made_at_stripe_and_then_failing_corrects_the_receipt_each_time(stack: Stack) -> None:
    order = place(stack, attendee())
    intent_id = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")
    refund = {"id": "re_docs_1", "object": "refund", "amount": 15_000, "status": "succeeded"}
    charge: dict[str, Any] = {"id": "ch_docs", "object": "charge", "payment_intent": intent_id, "amount": 40_000,
              "amount_refunded": 15_000, "refunds": {"object": "list", "data": [refund]}}  # fmt: skip

    def documents() -> list[tuple[str, int, str]]:
        listed = httpx.get(
            f"{stack.podium}/api/orders/{order['id']}/documents", headers={"X-Order-Secret": order["secret"]}
        )
        return [(d["kind"], d["total"], d["reason"]) for d in listed.json()]

    deliver(stack, event("evt_docs_1", "charge.refunded", charge))
    deliver(stack, event("evt_docs_2", "charge.refunded", charge))
    after_refund = documents()
    charge["refunds"]["data"] = [refund | {"status": "failed"}]
    deliver(stack, event("evt_docs_3", "charge.refunded", charge))

    assert after_refund == [("receipt", 40_000, "payment"), ("credit_note", -40_000, "refund"),
                            ("receipt", 25_000, "refund")]  # fmt: skip
    assert documents()[3:] == [("credit_note", -25_000, "refund"), ("receipt", 40_000, "refund")]


def test_late_payment_with_seats_still_free_is_honoured(stack: Stack) -> None:
    async def tiny_workshop() -> CatalogFixture:
        async with db_session_for(stack.settings) as db_session:
            return await build_catalog(db_session, workshop_seats=1)

    tiny = asyncio.run(tiny_workshop())
    late = place(stack, attendee(add_ons=["workshop"]), slug=tiny.slug)

    async def expire() -> None:
        async with db_session_for(stack.settings) as db_session:
            await db_session.execute(update(Order).where(Order.id == late["id"]).values(hold_expires_at=utcnow()))
            await db_session.commit()
            await expire_holds(db_session, event_id=tiny.event_id)
            await db_session.commit()

    asyncio.run(expire())
    assert order_status(stack, late) == "expired"

    intent_id = pay(stack, late)

    wait_until(lambda: order_status(stack, late) == "paid")
    again = httpx.get(f"{stack.podium}/api/orders/{late['id']}", params={"secret": late["secret"]}).json()
    assert again["registrations"][0]["status"] == "confirmed"
    assert notes(stack, late)[-1] == f"payment {intent_id} after the hold expired; seats were still free"
    # The seat is taken again: the next buyer can't have it.
    sold_out = httpx.post(
        f"{stack.podium}/api/events/{tiny.slug}/orders", json=order_body(attendee(add_ons=["workshop"]))
    )
    assert sold_out.status_code == 409


def test_late_payment_without_seats_is_refunded_through_stripe(stack: Stack) -> None:
    async def tiny_workshop() -> CatalogFixture:
        async with db_session_for(stack.settings) as db_session:
            return await build_catalog(db_session, workshop_seats=1)

    tiny = asyncio.run(tiny_workshop())
    late = place(stack, attendee(add_ons=["workshop"]), slug=tiny.slug)

    async def expire_and_resell() -> None:
        async with db_session_for(stack.settings) as db_session:
            await db_session.execute(update(Order).where(Order.id == late["id"]).values(hold_expires_at=utcnow()))
            await db_session.commit()
            await expire_holds(db_session, event_id=tiny.event_id)
            await db_session.commit()

    asyncio.run(expire_and_resell())
    place(stack, attendee(add_ons=["workshop"]), slug=tiny.slug)  # someone else takes the freed seat

    intent_id = pay(stack, late)

    async def refunds() -> list[tuple[int, str]]:
        async with db_session_for(stack.settings) as db_session:
            rows = await db_session.execute(
                select(Refund.amount, Refund.status)
                .join(Order, Order.id == Refund.order_id)
                .where(Order.provider_payment_id == intent_id)
            )
            return [tuple(r) for r in rows.all()]

    # The refund is claimed (sending) before Stripe is called and recorded after it answers: wait for that.
    wait_until(lambda: asyncio.run(refunds()) == [(52_000, "succeeded")])
    assert order_status(stack, late) == "expired"


@contextlib.contextmanager
def webhook_sink() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP endpoint that takes webhooks and keeps them (answering 500, so Stripe counts them undelivered):
    where a test sends the webhooks it wants lost, and learns when the loss has happened."""
    received: list[dict[str, Any]] = []

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0")))))
            self.send_response(500)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/lost", received
    finally:
        server.shutdown()
        server.server_close()


def test_reconcile_applies_a_lost_webhook(stack: Stack) -> None:
    order = place(stack, attendee())
    with webhook_sink() as (lost_url, lost):
        _register_webhook(stack.stripe_api, lost_url)  # the next webhook is lost
        try:
            intent_id = pay(stack, order)
            wait_until(lambda: any(e["type"] == "payment_intent.succeeded" for e in list(lost)))
            assert order_status(stack, order) == "pending"

            first = reconcile_cli(stack)
            second = reconcile_cli(stack)
        finally:
            _register_webhook(stack.stripe_api, f"{stack.podium}/api/payments/stripe/webhook")

    assert first.get("confirmed") == 1
    assert second.get("confirmed") is None
    assert order_status(stack, order) == "paid"
    assert notes(stack, order)[-1] == f"payment {intent_id}"


def test_reconcile_sends_a_pending_card_refund_to_stripe_once(stack: Stack) -> None:
    order = place(stack, attendee())
    intent_id = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")

    async def organizer_refund() -> None:
        async with db_session_for(stack.settings) as db_session:
            paid = await db_session.get(Order, order["id"])
            assert paid is not None
            await cancellations.refund(db_session, paid, amount=10_000, reason="goodwill", actor="organizer")
            await db_session.commit()

    async def stored() -> tuple[int, list[tuple[int, str, bool]]]:
        async with db_session_for(stack.settings) as db_session:
            refunded = await db_session.scalar(select(Order.amount_refunded).where(Order.id == order["id"]))
            rows = await db_session.execute(
                select(Refund.amount, Refund.status, Refund.provider_refund_id).where(Refund.order_id == order["id"])
            )
            return int(refunded or 0), [(a, s, p is not None) for a, s, p in rows.all()]

    asyncio.run(organizer_refund())
    assert asyncio.run(stored()) == (0, [(10_000, "pending", False)])

    first = reconcile_cli(stack)
    second = reconcile_cli(stack)

    at_stripe = stack.client.v1.refunds.list(params={"payment_intent": intent_id})
    assert (first.get("refund_sent"), second.get("refund_sent")) == (1, None)
    assert [(r.amount, r.status) for r in at_stripe.data] == [(10_000, "succeeded")]
    assert asyncio.run(stored()) == (10_000, [(10_000, "succeeded", True)])


def test_a_second_payment_for_a_paid_order_goes_back_and_the_first_stands(stack: Stack) -> None:
    order = place(stack, attendee())
    first_intent = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")
    # The buyer pays again in another tab: a second PaymentIntent for the same order.
    second = stack.client.v1.payment_intents.create(
        params={
            "amount": 40_000,
            "currency": "usd",
            "metadata": {"order_id": order["id"]},
            "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]  # the API takes it; stripe's params type omits it
        }
    )
    pay(stack, {"payment": {"client_secret": f"{second.id}_secret_x"}})

    def refunded_at_stripe() -> list[tuple[int, str | None]]:
        found = stack.client.v1.refunds.list(params={"payment_intent": second.id})
        return [(r.amount, r.status) for r in found.data]

    async def recorded() -> tuple[list[tuple[int, str, str | None]], int]:
        async with db_session_for(stack.settings) as db_session:
            rows = await db_session.execute(
                select(Refund.amount, Refund.status, case((Payment.kept, None), else_=Payment.provider_payment_id))
                .join(Payment, Payment.id == Refund.payment_id)
                .where(Refund.order_id == order["id"])
            )
            mails = await db_session.scalar(
                select(func.count()).where(OutboxMessage.dedupe_key.like(f"payment-refund:{order['id']}:%"))
            )
            return [tuple(r) for r in rows.all()], int(mails or 0)

    wait_until(lambda: asyncio.run(recorded())[0] == [(40_000, "succeeded", second.id)])
    assert refunded_at_stripe() == [(40_000, "succeeded")]
    assert stack.client.v1.refunds.list(params={"payment_intent": first_intent}).data == []
    assert order_status(stack, order) == "paid"
    assert asyncio.run(recorded())[1] == 1
    assert any("a second payment for an order already paid" in n for n in notes(stack, order))
    read = httpx.get(f"{stack.podium}/api/orders/{order['id']}", params={"secret": order["secret"]}).json()
    assert (read["amount_paid"], read["amount_refunded"]) == (40_000, 40_000)
    assert [(p["provider_payment_id"], p["kept"], p["amount_refunded"]) for p in read["payments"]] == [
        (first_intent, True, 0),
        (second.id, False, 40_000),
    ]
