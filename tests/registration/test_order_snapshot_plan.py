"""The order's first read (``orders.snapshot``) finds each order and open hold by its own key, never by the event
alone, in the plan PostgreSQL keeps for it.

A pooled connection prepares the statement once, and after five runs PostgreSQL keeps a generic plan, made with
the statistics of that moment: for a new event, tables with almost no rows, where every index of ``reg_order``
led by the event looks as good as the one that fits. Such a plan read every order of the event for the
Idempotency-Key (0.5 -> 1.5 ms per order over a 10,000-order rush) and every open hold of it for the address's
count and the lapsed holds.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.engine import make_url

from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session, workshop_seats=2)


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


def _scans_of(node: dict[str, Any], table: str) -> list[dict[str, Any]]:
    found = [node] if node.get("Relation Name") == table else []
    for child in node.get("Plans", []):
        found += _scans_of(child, table)
    return found


async def test_each_order_lookup_of_the_first_read_uses_its_own_key_in_the_generic_plan(
    app: Litestar, client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("generic plans are PostgreSQL's (run with DATABASE_URL=postgresql+asyncpg://...)")
    engine = app.state["podium_session_maker"].kw["bind"].sync_engine
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "UNION ALL SELECT 5" in statement:  # the snapshot: its finding of lapsed holds
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        placed = await client.post(
            f"/api/events/{catalog.slug}/orders",
            json=order_body(attendee(add_ons=["workshop"])),
            headers={"Idempotency-Key": "plan-1"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert placed.status_code == 201
    statement, parameters = seen[0]

    url = make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE snapshot AS {statement}")
        values = ", ".join(map(_literal, parameters))  # EXECUTE takes no bound parameters, only values
        explained = await connection.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE snapshot({values})")
    finally:
        await connection.close()
    scans = _scans_of(json.loads(explained)[0]["Plan"], "reg_order")

    # The Idempotency-Key, the buyer's open holds, the address's, and the event's lapsed ones.
    assert len(scans) == 4
    for scan in scans:
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
        assert " AND " in scan["Index Cond"], (scan["Index Name"], scan["Index Cond"])  # more than the event
    assert sorted(scan["Index Name"] for scan in scans) == [
        "ix_reg_order_open_by_address",
        "ix_reg_order_open_by_email",
        "ix_reg_order_open_by_expiry",
        "uq_reg_order_idempotency",
    ]
