"""Orders that end while on an open group invoice: the invoice holds them until its own due date, an order that
ends anyway leaves it (total revised, the contact mailed the revised invoice once), an invoice unpaid by its due
date ends with its orders (the contact told once that it is withdrawn), and the sweep racing a group payment ends
either paid or withdrawn, never half of each."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from podium.formatting import in_fours
from podium.settings import Settings
from registration.models import GroupInvoice, Order, Quota
from registration.orders.holds import expire_holds
from tests.asgi_client import Client
from tests.registration.bank.helpers import BANK, bank_event, choose, place
from tests.registration.factories import CatalogFixture, db_session_for
from tests.registration.mailbox import Inbox, deliver, text, to, unique
from tests.registration.statements.test_group_invoices import INSTITUTION
from tests.registration.statements.test_import import HEADER, csv_line, outcomes, statuses, upload


async def invoiced(
    settings: Settings, client: Client, organizer: dict[str, str], count: int
) -> tuple[CatalogFixture, list[dict[str, Any]], dict[str, Any]]:
    built = await bank_event(settings, client, organizer, workshop_seats=20)
    orders = [await place(client, built.slug, add_ons=["workshop"]) for _ in range(count)]
    body = dict(INSTITUTION, contact_email=unique("accounts"), order_ids=[order["id"] for order in orders])
    response = await client.post(f"/api/events/{built.slug}/group-invoices", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return built, orders, response.json()


async def group_now(client: Client, slug: str, organizer: dict[str, str], group: dict[str, Any]) -> Any:
    return (await client.get(f"/api/events/{slug}/group-invoices/{group['id']}", headers=organizer)).json()


async def sweep(settings: Settings, built: CatalogFixture, now: dt.datetime) -> int:
    async with db_session_for(settings) as db_session:
        ended = await expire_holds(db_session, now=now, event_id=built.event_id)
        await db_session.commit()
        return ended


async def workshop_used(settings: Settings, built: CatalogFixture) -> int | None:
    async with db_session_for(settings) as db_session:
        return await db_session.scalar(select(Quota.used).where(Quota.id == built.workshop_quota_id))


async def test_an_order_cancelled_on_a_group_invoice_leaves_it_and_the_contact_gets_the_revised_invoice(
    settings: Settings, client: Client, organizer: dict[str, str], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    built, (gone, kept), group = await invoiced(settings, client, organizer, 2)

    cancelled = await client.post(f"/api/orders/{gone['id']}/cancel", params={"secret": gone["secret"]})
    after = await group_now(client, built.slug, organizer, group)
    await deliver(settings, port)

    [mail] = to(inbox, group["contact_email"])
    [revised] = list(mail.iter_attachments())
    body = " ".join(text(mail).split())
    assert cancelled.status_code == 200, cancelled.text
    assert (after["status"], after["total"], [s["order_id"] for s in after["orders"]]) == (
        "open",
        kept["total"],
        [kept["id"]],
    )
    assert str(mail["Subject"]) == f"Test Meeting: invoice {in_fours(group['reference'])} is revised"
    assert f"Please pay the new total, USD {kept['total'] / 100:,.2f}, by" in body
    assert (revised.get_filename(), revised.get_content()[:5]) == (f"invoice-{group['reference']}.pdf", b"%PDF-")


async def test_a_group_invoice_holds_an_order_past_its_own_shorter_transfer(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    built, (own, other), group = await invoiced(settings, client, organizer, 2)
    shorter = dict(BANK, due_days=3)
    assert (await client.put(f"/api/events/{built.slug}/bank-transfer", json=shorter, headers=organizer)).is_success

    chosen = await choose(client, own)
    async with db_session_for(settings) as db_session:
        row = await db_session.get_one(Order, own["id"])
        held, own_due = row.hold_expires_at, row.payment_due_at
    assert own_due is not None
    ended = await sweep(settings, built, own_due + dt.timedelta(minutes=1))

    after = await group_now(client, built.slug, organizer, group)
    assert chosen.status_code == 200, chosen.text
    assert held == dt.datetime.fromisoformat(group["due_at"])
    assert own_due < held
    assert ended == 0
    assert await statuses(settings, [own, other]) == ["pending", "pending"]
    assert (after["status"], after["total"]) == ("open", group["total"])


async def test_a_group_invoice_unpaid_by_its_due_date_ends_with_its_orders_and_the_contact_is_told_once(
    settings: Settings, client: Client, organizer: dict[str, str], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    built, orders, group = await invoiced(settings, client, organizer, 3)
    due = dt.datetime.fromisoformat(group["due_at"])

    before_due = await sweep(settings, built, due - dt.timedelta(minutes=1))
    after_due = await sweep(settings, built, due + dt.timedelta(minutes=1))
    after = await group_now(client, built.slug, organizer, group)
    await deliver(settings, port)
    late = await upload(client, built.slug, organizer, HEADER + csv_line("L1", group["total"], group["reference"]))

    [mail] = to(inbox, group["contact_email"])
    assert (before_due, after_due) == (0, 3)
    assert await statuses(settings, orders) == ["expired"] * 3
    assert (after["status"], after["orders"]) == ("cancelled", [])
    assert await workshop_used(settings, built) == 0
    assert str(mail["Subject"]) == f"Test Meeting: invoice {in_fours(group['reference'])} is withdrawn"
    assert "Please do not pay it." in " ".join(text(mail).split())
    assert list(mail.iter_attachments()) == []
    assert outcomes(late.json()) == [("L1", "unmatched", "order_closed")]


async def test_the_expiry_sweep_racing_a_group_payment_ends_paid_or_withdrawn_never_half(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    ends: list[tuple[str, tuple[str, ...], str]] = []
    for round_number in range(3):
        built, orders, group = await invoiced(settings, client, organizer, 3)
        due = dt.datetime.fromisoformat(group["due_at"])
        line = csv_line(f"R{round_number}", group["total"], in_fours(group["reference"]))

        _, paid = await asyncio.gather(
            sweep(settings, built, due + dt.timedelta(minutes=1)), upload(client, built.slug, organizer, HEADER + line)
        )

        async with db_session_for(settings) as db_session:
            status = await db_session.scalar(select(GroupInvoice.status).where(GroupInvoice.id == group["id"]))
        assert paid.status_code == 201, paid.text
        [(_, outcome, _)] = outcomes(paid.json())
        ends.append((str(status), tuple(await statuses(settings, orders)), outcome))
        used = await workshop_used(settings, built)
        assert used == (3 if status == "paid" else 0)

    assert set(ends) <= {
        ("paid", ("paid",) * 3, "exact"),
        ("cancelled", ("expired",) * 3, "unmatched"),
    }
