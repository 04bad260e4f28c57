"""Importing bank statements through the organizers' API: exact, partial, over-payment, duplicate (the same line
twice, the same file twice, imports racing), unmatched lines, both formats, bad files; and the review list."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from events.models import Event
from podium.audit_models import AuditEntry
from podium.formatting import in_fours
from podium.settings import Settings
from registration.bank.references import new_reference
from registration.models import BankCredit, BankStatement, BankStatementLine, Order
from tests.asgi_client import Client
from tests.registration.bank.helpers import bank_event, choose, place
from tests.registration.factories import db_session_for

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "Date,Amount,Currency,Reference,Counterparty,Transaction ID\n"


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def csv_line(txn: str, amount: int, reference: str, *, currency: str = "USD", who: str = "Payer") -> str:
    return f"2026-11-02,{money(amount)},{currency},{reference},{who},{txn}\n"


async def upload(client: Client, slug: str, headers: dict[str, str], content: str | bytes, name: str = "s.csv") -> Any:
    data = content.encode() if isinstance(content, str) else content
    return await client.post(f"/api/events/{slug}/bank-statements", files={"file": (name, data)}, headers=headers)


async def transfer_orders(
    settings: Settings, client: Client, organizer: dict[str, str], count: int
) -> tuple[str, list[dict[str, Any]]]:
    built = await bank_event(settings, client, organizer)
    orders = []
    for _ in range(count):
        order = await place(client, built.slug)
        chosen = await choose(client, order)
        assert chosen.status_code == 200, chosen.text
        order["reference"] = chosen.json()["reference"]
        orders.append(order)
    return built.slug, orders


async def statuses(settings: Settings, orders: list[dict[str, Any]]) -> list[str]:
    async with db_session_for(settings) as db_session:
        found = {row.id.hex: row.status for row in await db_session.scalars(select(Order))}
    return [found[order["id"].replace("-", "")] for order in orders]


def outcomes(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(line["bank_transaction_id"], line["outcome"], line["reason"]) for line in body["lines"]]


async def test_import_settles_exact_partial_over_and_lists_the_rest(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, (exact, partial, over) = await transfer_orders(settings, client, organizer, 3)
    content = HEADER + "".join(
        [
            csv_line("T1", exact["total"], f"Registration {in_fours(exact['reference'])}"),
            csv_line("T2", 10_000, partial["reference"]),
            csv_line("T3", over["total"] + 2_500, over["reference"].lower()),
            csv_line("T4", 5_000, new_reference()),
            csv_line("T5", 7_000, "conference fee"),
            csv_line("T6", -4_510, "office supplies"),
        ]
    )

    response = await upload(client, slug, organizer, content)

    body = response.json()
    assert response.status_code == 201, response.text
    assert outcomes(body) == [
        ("T1", "exact", None),
        ("T2", "partial", None),
        ("T3", "over", None),
        ("T4", "unmatched", "unknown_reference"),
        ("T5", "unmatched", "no_reference"),
        ("T6", "debit", None),
    ]
    assert body["lines"][2]["excess"] == 2_500
    assert body["counts"] == {"exact": 1, "partial": 1, "over": 1, "unmatched": 2, "duplicate": 0, "debit": 1}
    assert await statuses(settings, [exact, partial, over]) == ["paid", "pending", "paid"]
    review = (await client.get(f"/api/events/{slug}/bank-statement-review", headers=organizer)).json()
    assert [line["bank_transaction_id"] for line in review] == ["T2", "T3", "T4", "T5"]


async def test_import_the_rest_of_a_partial_payment_pays_the_order(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, [order] = await transfer_orders(settings, client, organizer, 1)

    first = await upload(client, slug, organizer, HEADER + csv_line("P1", 10_000, order["reference"]))
    rest = await upload(client, slug, organizer, HEADER + csv_line("P2", order["total"] - 10_000, order["reference"]))

    assert outcomes(first.json()) == [("P1", "partial", None)]
    assert outcomes(rest.json()) == [("P2", "exact", None)]
    assert await statuses(settings, [order]) == ["paid"]


async def test_import_unmatched_reasons_wrong_currency_closed_and_paid_orders(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, (euro, closed, paid) = await transfer_orders(settings, client, organizer, 3)
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(Order).where(Order.id == closed["id"]).values(status="cancelled"))
        await db_session.commit()
    await upload(client, slug, organizer, HEADER + csv_line("Q0", paid["total"], paid["reference"]))

    response = await upload(
        client,
        slug,
        organizer,
        HEADER
        + csv_line("Q1", euro["total"], euro["reference"], currency="EUR")
        + csv_line("Q2", closed["total"], closed["reference"])
        + csv_line("Q3", paid["total"], paid["reference"]),
    )

    assert outcomes(response.json()) == [
        ("Q1", "unmatched", "wrong_currency"),
        ("Q2", "unmatched", "order_closed"),
        ("Q3", "unmatched", "already_paid"),
    ]
    assert await statuses(settings, [euro]) == ["pending"]


async def test_import_same_line_in_two_files_is_recorded_once(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, (first, second) = await transfer_orders(settings, client, organizer, 2)
    line = csv_line("D1", first["total"], first["reference"])

    one = await upload(client, slug, organizer, HEADER + line)
    two = await upload(client, slug, organizer, HEADER + line + csv_line("D2", second["total"], second["reference"]))

    async with db_session_for(settings) as db_session:
        credits = await db_session.scalar(select(func.count()).where(BankCredit.order_id == first["id"]))
    assert outcomes(one.json()) == [("D1", "exact", None)]
    assert outcomes(two.json()) == [("D1", "duplicate", None), ("D2", "exact", None)]
    assert credits == 1


async def test_import_same_file_twice_is_refused_and_records_nothing(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, [order] = await transfer_orders(settings, client, organizer, 1)
    content = HEADER + csv_line("F1", 10_000, order["reference"])

    first = await upload(client, slug, organizer, content)
    again = await upload(client, slug, organizer, content, name="renamed.csv")

    async with db_session_for(settings) as db_session:
        event_id = select(Event.id).where(Event.slug == slug).scalar_subquery()
        statements = await db_session.scalar(select(func.count()).where(BankStatement.event_id == event_id))
        credit = await db_session.scalar(select(func.sum(BankCredit.amount)).where(BankCredit.order_id == order["id"]))
    assert first.status_code == 201
    assert (again.status_code, again.json()["code"], again.json()["errors"][0]["field"]) == (
        409,
        "duplicate_statement",
        "file",
    )
    assert (statements, credit) == (1, 10_000)


async def test_import_concurrent_imports_record_each_payment_once(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, orders = await transfer_orders(settings, client, organizer, 3)
    lines = [csv_line(f"R{n}", order["total"], order["reference"]) for n, order in enumerate(orders)]
    files = [HEADER + "".join(lines), HEADER + "".join(reversed(lines)), HEADER + lines[1] + lines[0]]

    responses = await asyncio.gather(*(upload(client, slug, organizer, content) for content in files * 2))

    async with db_session_for(settings) as db_session:
        ids = [order["id"] for order in orders]
        credits = (await db_session.scalars(select(BankCredit.order_id).where(BankCredit.order_id.in_(ids)))).all()
        counted = await db_session.scalar(
            select(func.count()).where(BankStatementLine.outcome != "duplicate", BankStatementLine.order_id.in_(ids))
        )
    codes = sorted(response.status_code for response in responses)
    assert codes == [201, 201, 201, 409, 409, 409]
    recorded = [line for r in responses if r.status_code == 201 for line in r.json()["lines"]]
    assert sorted(line["outcome"] for line in recorded if line["outcome"] != "duplicate") == ["exact"] * 3
    assert len(credits) == 3 and len(set(credits)) == 3
    assert counted == 3
    assert await statuses(settings, orders) == ["paid"] * 3


def camt(name: str, references: dict[str, str]) -> bytes:
    data = (FIXTURES / name).read_text()
    for placeholder, reference in references.items():
        data = data.replace(placeholder, reference)
    return data.encode()


async def test_import_camt053_both_versions(settings: Settings, client: Client, organizer: dict[str, str]) -> None:
    slug, (one, two) = await transfer_orders(settings, client, organizer, 2)
    references = {"RF18ABCDEFGHJKLM": one["reference"], "RF45 WXYZ 2345 6789": in_fours(two["reference"])}
    old = camt("camt053-v02.xml", references).replace(b"EUR", b"USD")
    new = camt("camt053-v08.xml", {"RF18ABCDEFGHJKLM": two["reference"]}).replace(b"CHF", b"USD")

    first = await upload(client, slug, organizer, old, name="stmt.xml")
    second = await upload(client, slug, organizer, new, name="stmt8.xml")

    assert (one["total"], two["total"]) == (40_000, 40_000)  # the member price: less than either file pays
    assert [(line["outcome"], line["reason"], line["excess"]) for line in first.json()["lines"]] == [
        ("over", None, 12_000),  # 520.00 on the order of 400.00
        ("debit", None, 0),
        ("over", None, 38_000),  # 780.00 of one TxDtls in a batch
        ("unmatched", "no_reference", 0),
    ]
    assert [line["outcome"] for line in second.json()["lines"]] == ["unmatched", "debit"]  # paid already
    assert first.json()["format"] == "camt.053"


async def test_import_bad_files_are_refused_naming_the_row_and_write_nothing(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, [order] = await transfer_orders(settings, client, organizer, 1)
    bad_csv = HEADER + csv_line("B1", order["total"], order["reference"]) + "2026-11-31,1.00,USD,x,y,B2\n"
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><x>&b;</x></Document>'
    )

    bad = await upload(client, slug, organizer, bad_csv)
    malicious = await upload(client, slug, organizer, evil, name="s.xml")
    empty = await upload(client, slug, organizer, b"")
    huge_cell = await upload(client, slug, organizer, HEADER + f'2026-11-02,1.00,USD,"{"x" * 140_000}",y,B3\n')

    async with db_session_for(settings) as db_session:
        event_id = select(Event.id).where(Event.slug == slug).scalar_subquery()
        stored = await db_session.scalar(select(func.count()).where(BankStatementLine.event_id == event_id))
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (422, ["rows[3].booked_on"])
    assert (malicious.status_code, malicious.json()["errors"][0]["field"]) == (422, "file")
    assert empty.status_code == 422
    assert (huge_cell.status_code, huge_cell.json()["errors"][0]["field"]) == (422, "file")  # was a 500
    assert stored == 0
    assert await statuses(settings, [order]) == ["pending"]


async def test_review_assign_pays_the_order_and_dismiss_keeps_a_note(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    slug, [order] = await transfer_orders(settings, client, organizer, 1)
    body = (
        await upload(
            client,
            slug,
            organizer,
            HEADER + csv_line("A1", order["total"], "fee for Ada Lovelace") + csv_line("A2", 1_000, "lunch"),
        )
    ).json()
    assign_id, dismiss_id = (line["id"] for line in body["lines"])
    review = f"/api/events/{slug}/bank-statement-review"

    found = (await client.get(f"{review}/orders", params={"q": "lovelace"}, headers=organizer)).json()
    by_reference = await client.get(f"{review}/orders", params={"q": in_fours(order["reference"])}, headers=organizer)
    assigned = await client.post(
        f"{review}/{assign_id}/assign", json={"order_id": order["id"], "note": "name matches"}, headers=organizer
    )
    again = await client.post(f"{review}/{assign_id}/assign", json={"order_id": order["id"]}, headers=organizer)
    no_note = await client.post(f"{review}/{dismiss_id}/dismiss", json={"note": ""}, headers=organizer)
    dismissed = await client.post(f"{review}/{dismiss_id}/dismiss", json={"note": "not ours"}, headers=organizer)

    async with db_session_for(settings) as db_session:
        audited = (
            await db_session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity == "bank_statement_line").order_by(AuditEntry.id)
            )
        ).all()
    assert [match["id"] for match in found] == [order["id"]]
    assert [match["id"] for match in by_reference.json()] == [order["id"]]
    assert (assigned.status_code, assigned.json()["review_status"], assigned.json()["order_id"]) == (
        200,
        "assigned",
        order["id"],
    )
    assert (again.status_code, again.json()["code"]) == (409, "line_decided")
    assert (no_note.status_code, no_note.json()["errors"][0]["field"]) == (422, "note")
    assert (dismissed.status_code, dismissed.json()["review_note"]) == (200, "not ours")
    assert sorted(audited) == ["assigned", "dismissed"]
    assert await statuses(settings, [order]) == ["paid"]
    assert (await client.get(review, headers=organizer)).json() == []


async def test_statements_are_for_organizers_only(
    settings: Settings, client: Client, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    slug, _ = await transfer_orders(settings, client, organizer, 0)

    anonymous = await upload(client, slug, {}, HEADER)
    as_staff = await client.get(f"/api/events/{slug}/bank-statement-review", headers=staff)

    assert (anonymous.status_code, as_staff.status_code) == (401, 403)
