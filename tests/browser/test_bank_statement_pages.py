"""An organizer imports a bank statement on its page, sees what each line did, and assigns the line that named no
reference to the order it pays, from the review list, by the buyer's name."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, assert_accessible, log_in
from tests.registration.bank.helpers import BANK
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session)


def _order(server: Server, slug: str, buyer: str) -> dict[str, object]:
    body = order_body(attendee(), buyer_name=buyer, buyer_email=f"{buyer.split()[0].lower()}@example.org")
    placed = httpx.post(f"{server.base_url}/api/events/{slug}/orders", json=body)
    assert placed.status_code == 201, placed.text
    order: dict[str, object] = placed.json()
    chosen = httpx.post(
        f"{server.base_url}/api/orders/{order['id']}/bank-transfer", headers={"X-Order-Secret": str(order["secret"])}
    )
    assert chosen.status_code == 200, chosen.text
    order["reference"] = chosen.json()["reference"]
    return order


BAD_FILE = b"Date,Amount,Currency,Reference\n2026-11-31,1.00,USD,x\n"


def euros(order: dict[str, object]) -> str:
    """The order's total as a semicolon-separated export writes it: decimal comma."""
    whole, cents = divmod(int(str(order["total"])), 100)
    return f"{whole},{cents:02d}"


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    return asyncio.run(_catalog(server))


def test_organizer_imports_a_statement_and_assigns_an_unmatched_line(
    page: Page, server: Server, catalog: CatalogFixture
) -> None:
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    set_bank = httpx.put(f"{server.base_url}/api/events/{catalog.slug}/bank-transfer", json=BANK, headers=organizer)
    assert set_bank.status_code == 200, set_bank.text
    paid_by_reference = _order(server, catalog.slug, "Ana Pereira")
    paid_by_name = _order(server, catalog.slug, "Kwame Mensah")
    statement = (
        "Booking Date;Amount;Currency;Counterparty;Reference;Transaction ID\n"
        f"02.11.2026;{euros(paid_by_reference)};USD;Ana Pereira;{paid_by_reference['reference']};B-1\n"
        f"03.11.2026;{euros(paid_by_name)};USD;K. Mensah;registration Kwame;B-2\n"
    )

    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}/bank-statements")
    expect(page.get_by_role("heading", name="Bank statements", level=1)).to_be_visible()
    expect(page.locator("#nothing-to-review")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Statement file (CSV or CAMT.053 XML, up to 5 MB)").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_FILE}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#statement-errors")).to_contain_text("rows[2].booked_on")
    assert_accessible(page)

    page.get_by_label("Statement file (CSV or CAMT.053 XML, up to 5 MB)").set_input_files(
        {"name": "november.csv", "mimeType": "text/csv", "buffer": statement.encode()}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    result = page.locator("#statement-result")
    expect(result.get_by_role("row").nth(1)).to_contain_text("paid in full")
    expect(result.get_by_role("row").nth(2)).to_contain_text("not matched (no reference)")
    review = page.locator("#review-lines > li")
    expect(review).to_have_count(1)
    assert_accessible(page)

    review.get_by_label("Order (reference, name or email)").fill("Mensah")
    review.get_by_role("button", name="Assign").click()
    expect(page.locator("#nothing-to-review")).to_be_visible()
    standing = httpx.get(
        f"{server.base_url}/api/orders/{paid_by_name['id']}", headers={"X-Order-Secret": str(paid_by_name["secret"])}
    )
    assert standing.json()["status"] == "paid"


def test_organizer_records_an_over_payments_excess_as_refunded_with_the_keyboard(
    page: Page, server: Server, catalog: CatalogFixture
) -> None:
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    set_bank = httpx.put(f"{server.base_url}/api/events/{catalog.slug}/bank-transfer", json=BANK, headers=organizer)
    assert set_bank.status_code == 200, set_bank.text
    over_paid = _order(server, catalog.slug, "Lena Fischer")
    statement = (
        "Booking Date;Amount;Currency;Counterparty;Reference;Transaction ID\n"
        f"04.11.2026;{euros({'total': int(str(over_paid['total'])) + 1_000})};USD;L. Fischer;"
        f"{over_paid['reference']};B-3\n"
    )

    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}/bank-statements")
    page.get_by_label("Statement file (CSV or CAMT.053 XML, up to 5 MB)").set_input_files(
        {"name": "december.csv", "mimeType": "text/csv", "buffer": statement.encode()}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    review = page.locator("#review-lines > li")
    expect(review).to_have_count(1)
    note = review.get_by_label("Sent the excess, USD 10.00, back to L. Fischer? Note (optional)")
    expect(note).to_be_visible()
    assert_accessible(page)

    note.focus()
    page.keyboard.type("returned by transfer")
    page.keyboard.press("Tab")
    expect(review.get_by_role("button", name="Record refund: line 2")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#nothing-to-review")).to_be_visible()
    assert_accessible(page)
    standing = httpx.get(
        f"{server.base_url}/api/orders/{over_paid['id']}", headers={"X-Order-Secret": str(over_paid["secret"])}
    ).json()
    assert (standing["status"], standing["amount_refunded"]) == ("paid", 1_000)
