"""A buyer pays by card on the order page and the page tells the truth while Stripe's verdict is on its way.

Podium runs with Stripe configured against localstripe (the PaymentIntent API) and a stand-in for Stripe.js
that this test serves to the browser itself (``static/stripe-stand-in.js``; no CDN). The buyer confirms, the
page says "Confirming payment…" and follows the order; the signed webhook, sent by the test only after the
page has asked a few times, turns it paid. No page loaded after the confirmation ever carries the pay form
again. A payment that fails after confirming shows Stripe's reason and the pay form again. Every wait is on
a state of the page or on its requests, never on a clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request, Route, expect

from podium.settings import Settings
from tests.browser.conftest import Server, assert_accessible
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body
from tests.servers import localstripe_server, podium_server

WEBHOOK_SECRET = "whsec_orderpage_browser"
STRIPE_JS_URL = "http://stripe-js.podium.test/v3/"
STAND_IN = Path(__file__).parent / "static" / "stripe-stand-in.js"
VISA, DECLINED = "4242424242424242", "4000000000000002"
PAID = "Paid — you're registered"


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Podium with Stripe on (localstripe for the API, the stand-in for Stripe.js), webhooks signed with our secret."""
    workdir = tmp_path_factory.mktemp("card-pages")
    (workdir / "data").mkdir()
    with localstripe_server(workdir) as stripe_api:
        env = {
            "STRIPE_SECRET_KEY": "sk_test_orderpage",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_orderpage",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_api,
            "STRIPE_JS_URL": STRIPE_JS_URL,
            "PODIUM_REFUND_SEND_SECONDS": "0",
        }
        with podium_server(settings, workdir, **env) as base_url:
            yield Server(base_url=base_url, settings=settings)


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    async def build() -> CatalogFixture:
        async with db_session_for(server.settings) as db_session:
            return await build_catalog(db_session)

    return asyncio.run(build())


@pytest.fixture
def card_page(page: Page) -> Page:
    """The page with Stripe.js answered by the stand-in, and every document it loads kept for inspection."""

    def stripe_js(route: Route) -> None:
        route.fulfill(status=200, content_type="application/javascript", body=STAND_IN.read_text())

    page.route(f"{STRIPE_JS_URL}**", stripe_js)
    return page


def place(server: Server, catalog: CatalogFixture) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base_url}/api/events/{catalog.slug}/orders",
        json=order_body(attendee(f"card-{secrets.token_hex(4)}@example.org")),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["payment"]["client_secret"], order["payment"]
    return order


def deliver(server: Server, kind: str, order: dict[str, Any], **intent: Any) -> None:
    """A webhook as Stripe sends it: the event JSON, signed with HMAC-SHA256 over "timestamp.payload"."""
    intent_id = order["payment"]["client_secret"].split("_secret_")[0]
    obj = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": order["total"],
        "currency": order["currency"].lower(),
        "metadata": {"order_id": order["id"]},
        **intent,
    }
    event = {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{server.base_url}/api/payments/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": f"t={timestamp},v1={signature}", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


def wait_for_status_polls(page: Page, count: int) -> None:
    """Let the page ask for the order's status ``count`` more times (each answer still "confirming")."""
    for _ in range(count):
        with page.expect_response(lambda r: r.url.endswith("/status") and r.request.method == "GET") as polled:
            pass
        assert polled.value.json()["standing"] == "confirming"


def documents_after_confirming(page: Page) -> list[str]:
    """Every HTML document the page loads from now on (reloads included), as the server sent it."""
    bodies: list[str] = []

    def keep(request: Request) -> None:
        if request.resource_type == "document":
            response = request.response()
            if response is not None:
                bodies.append(response.text())

    page.on("requestfinished", keep)
    return bodies


def pay_with(page: Page, order: dict[str, Any], number: str) -> None:
    page.goto(f"/orders/{order['id']}?secret={order['secret']}")
    expect(page.locator("#order-status")).to_have_text("Waiting for payment")
    page.get_by_label("Card number").fill(number)
    page.get_by_role("button", name="Pay USD 400.00").click()


def test_confirmed_card_payment_follows_the_late_webhook_to_paid(
    card_page: Page, server: Server, catalog: CatalogFixture
) -> None:
    page = card_page
    order = place(server, catalog)
    page.goto(f"/orders/{order['id']}?secret={order['secret']}")
    expect(page.get_by_label("Card number")).to_be_visible()
    assert_accessible(page)
    loaded = documents_after_confirming(page)

    page.get_by_label("Card number").fill(VISA)
    with page.expect_response(lambda r: r.url.endswith("/card-payment/confirmed")) as reported:
        page.get_by_role("button", name="Pay USD 400.00").click()
    expect(page.locator("#order-status")).to_have_text("Confirming payment…")
    expect(page.locator("#card-payment")).to_be_hidden()
    assert reported.value.json()["standing"] == "confirming"
    assert_accessible(page)
    wait_for_status_polls(page, 1)
    page.reload()  # the buyer reloads while the webhook is late: still confirming, no pay form
    expect(page.locator("#order-status")).to_have_text("Confirming payment…")
    expect(page.get_by_text("Stripe has your card payment")).to_be_visible()
    wait_for_status_polls(page, 2)
    deliver(server, "payment_intent.succeeded", order, amount_received=order["total"], status="succeeded")

    expect(page.locator("#order-status")).to_have_text(PAID, timeout=30_000)
    expect(page.get_by_role("cell", name="confirmed")).to_be_visible()
    expect(page.locator("#amount-paid")).to_have_text("USD 400.00")
    assert_accessible(page)
    assert len(loaded) >= 2  # the reload while confirming, and the one that showed "paid"
    assert [body for body in loaded if 'id="card-pay"' in body or "card-payment.js" in body] == []


def test_a_payment_failing_after_confirming_shows_why_and_the_pay_form(
    card_page: Page, server: Server, catalog: CatalogFixture
) -> None:
    page = card_page
    order = place(server, catalog)

    pay_with(page, order, VISA)
    expect(page.locator("#order-status")).to_have_text("Confirming payment…")
    wait_for_status_polls(page, 2)
    deliver(
        server,
        "payment_intent.payment_failed",
        order,
        status="requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card has insufficient funds."},
    )

    expect(page.locator("#order-status")).to_have_text("Payment failed", timeout=30_000)
    expect(page.get_by_role("alert").filter(has_text="did not go through")).to_contain_text(
        "Your card has insufficient funds."
    )
    expect(page.get_by_role("button", name="Pay USD 400.00")).to_be_enabled()
    assert_accessible(page)


def test_a_declined_card_says_so_at_once_and_keeps_the_form(
    card_page: Page, server: Server, catalog: CatalogFixture
) -> None:
    page = card_page
    order = place(server, catalog)

    page.goto(f"/orders/{order['id']}?secret={order['secret']}")
    page.get_by_label("Card number").fill(DECLINED)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Pay USD 400.00")).to_be_focused()
    page.keyboard.press("Enter")  # with the keyboard: focus must never fall back to the page

    expect(page.locator("#card-errors")).to_have_text("Your card was declined.")
    expect(page.locator("#card-errors")).to_be_focused()
    expect(page.get_by_role("button", name="Pay USD 400.00")).to_be_enabled()
    expect(page.get_by_role("button", name="Pay USD 400.00")).not_to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Pay USD 400.00")).to_be_focused()
    expect(page.locator("#order-status")).to_have_text("Waiting for payment")
    assert_accessible(page)
