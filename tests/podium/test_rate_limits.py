"""Rate limits counted in the database: exact under a real race, shared by two workers, keyed on the client
address that ``podium.client_address`` believes (X-Forwarded-For only from a trusted proxy)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.default import CACHE_HIT

from podium.client_address import resolve
from podium.main.app import create_app
from podium.rate_limits import RateLimit
from podium.settings import Settings, SettingsError
from tests.asgi_client import Client, app_client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def place(client: Client, slug: str, buyer: str = "buyer@example.org", **headers: str) -> httpx.Response:
    body = order_body(attendee(), buyer_email=buyer)
    return await client.post(f"/api/events/{slug}/orders", json=body, headers=headers)


async def hits(settings: Settings, key: str) -> int | None:
    async with db_session_for(settings) as db_session:
        return await db_session.scalar(select(RateLimit.hits).where(RateLimit.key == key))


async def test_order_limit_per_address_refuses_after_exactly_n(settings: Settings, catalog: CatalogFixture) -> None:
    strict = dataclasses.replace(settings, order_limit_per_address=3)
    async with app_client(create_app(strict), peer=("192.0.2.10", 4000)) as client:
        placed = [(await place(client, catalog.slug, buyer=f"b{i}@example.org")).status_code for i in range(3)]
        refused = await place(client, catalog.slug, buyer="b9@example.org")

    assert placed == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "too_many_requests"
    assert 0 < int(refused.headers["retry-after"]) <= strict.rate_limit_window_seconds + 1
    assert await hits(settings, "order-ip:192.0.2.10") == 4


async def test_order_limit_per_email_counts_the_buyer(settings: Settings, catalog: CatalogFixture) -> None:
    strict = dataclasses.replace(settings, order_limit_per_email=2)
    async with app_client(create_app(strict)) as client:
        placed = [(await place(client, catalog.slug, buyer="lab-head@example.org")).status_code for _ in range(2)]
        refused = await place(client, catalog.slug, buyer="lab-head@example.org")
        other = await place(client, catalog.slug, buyer="someone-else@example.org")

    assert placed == [201, 201]
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_requests")
    assert other.status_code == 201


async def test_order_limit_holds_across_two_workers(settings: Settings, catalog: CatalogFixture) -> None:
    """Two apps on one database stand for two workers behind a load balancer."""
    strict = dataclasses.replace(settings, order_limit_per_address=4)
    peer = ("192.0.2.20", 4000)
    async with app_client(create_app(strict), peer=peer) as worker_a, app_client(create_app(strict), peer=peer) as b:
        statuses = [
            (await place(worker, catalog.slug, buyer=f"w{i}@example.org")).status_code
            for i, worker in enumerate([worker_a, b, worker_a, b, worker_a, b])
        ]

    assert statuses == [201, 201, 201, 201, 429, 429]


async def test_order_limit_is_exact_under_a_real_race(settings: Settings, catalog: CatalogFixture) -> None:
    strict = dataclasses.replace(settings, order_limit_per_address=7)
    peer = ("192.0.2.30", 4000)
    async with app_client(create_app(strict), peer=peer) as worker_a, app_client(create_app(strict), peer=peer) as b:
        responses = await asyncio.gather(
            *(place(worker_a if i % 2 else b, catalog.slug, buyer=f"race{i}@example.org") for i in range(24))
        )

    assert Counter(r.status_code for r in responses) == {201: 7, 429: 17}
    assert await hits(settings, "order-ip:192.0.2.30") == 24


async def test_an_order_refused_for_another_reason_still_counts(settings: Settings, catalog: CatalogFixture) -> None:
    """The hit is kept whatever the order comes to (on PostgreSQL the order's first read counts it, in
    autocommit): an unknown event (404) and a replay (200) count once each, as the orders placed do; a body
    the API refuses before the handler (422) never reaches the limits."""
    peer = ("192.0.2.35", 4000)
    async with app_client(create_app(settings), peer=peer) as client:
        placed = await place(client, catalog.slug, buyer="kept@example.org")
        unknown = await place(client, "no-such-event-2027", buyer="kept2@example.org")
        invalid = await client.post(f"/api/events/{catalog.slug}/orders", json={"buyer_email": "x@example.org"})
        body = order_body(attendee(email="twice@example.org"), buyer_email="twice@example.org")
        first = await client.post(f"/api/events/{catalog.slug}/orders", json=body, headers={"Idempotency-Key": "k1"})
        replay = await client.post(f"/api/events/{catalog.slug}/orders", json=body, headers={"Idempotency-Key": "k1"})
        again = await client.post(f"/api/events/{catalog.slug}/orders", json=body, headers={"Idempotency-Key": "k2"})

    statuses = [r.status_code for r in (placed, unknown, invalid, first, replay, again)]
    assert statuses[:2] == [201, 404] and statuses[2] == 422 and statuses[3:5] == [201, 200]
    assert statuses[5] == 201  # an unpaid hold under that email is ended for the new order (``hold_release``)
    assert await hits(settings, "order-ip:192.0.2.35") == 5  # the invalid body never reached the limits


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(settings: Settings, catalog: CatalogFixture) -> None:
    strict = dataclasses.replace(settings, order_limit_per_address=2, trusted_proxies=())
    async with app_client(create_app(strict), peer=("192.0.2.40", 4000)) as client:
        statuses = [
            (await place(client, catalog.slug, f"f{i}@example.org", **{"X-Forwarded-For": f"198.51.100.{i}"}))
            for i in range(3)
        ]

    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert await hits(settings, "order-ip:192.0.2.40") == 3
    assert await hits(settings, "order-ip:198.51.100.0") is None


async def test_forwarded_for_is_honoured_from_a_trusted_proxy(settings: Settings, catalog: CatalogFixture) -> None:
    strict = dataclasses.replace(settings, order_limit_per_address=2, trusted_proxies=("10.0.0.0/8",))
    async with app_client(create_app(strict), peer=("10.1.2.3", 4000)) as client:
        spread = [
            (await place(client, catalog.slug, f"t{i}@example.org", **{"X-Forwarded-For": f"203.0.113.{i}"}))
            for i in range(3)
        ]
        # The left-most hop is the client's own claim; the proxy appended the address it saw.
        same = [
            await place(client, catalog.slug, f"s{i}@example.org", **{"X-Forwarded-For": f"1.2.3.{i}, 203.0.113.77"})
            for i in range(3)
        ]

    assert [r.status_code for r in spread] == [201, 201, 201]
    assert [r.status_code for r in same] == [201, 201, 429]
    assert await hits(settings, "order-ip:203.0.113.77") == 3
    assert await hits(settings, "order-ip:10.1.2.3") is None


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("192.0.2.1", ["198.51.100.1"], (), "192.0.2.1"),
        ("192.0.2.1", ["198.51.100.1"], ("10.0.0.1",), "192.0.2.1"),
        ("10.0.0.1", ["198.51.100.1"], ("10.0.0.1",), "198.51.100.1"),
        ("10.0.0.1", ["6.6.6.6, 198.51.100.1, 10.0.0.2"], ("10.0.0.0/24",), "198.51.100.1"),
        ("10.0.0.1", ["6.6.6.6", "198.51.100.1"], ("10.0.0.0/24",), "198.51.100.1"),
        ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], ("10.0.0.0/24",), "10.0.0.3"),
        ("10.0.0.1", [], ("10.0.0.0/24",), "10.0.0.1"),
        ("2001:db8::1", ["2001:db8:1::5"], ("2001:db8::/64",), "2001:db8:1::5"),
        (None, ["198.51.100.1"], ("10.0.0.1",), "unknown"),
    ],
)
def test_client_address_believes_forwarded_for_only_from_trusted_proxies(
    peer: str | None, forwarded: list[str], trusted: tuple[str, ...], client: str
) -> None:
    assert resolve(peer, forwarded, trusted) == client


def test_trusted_proxies_setting_refuses_what_is_not_an_address(tmp_path: Path) -> None:
    environ = {"PODIUM_DATA_DIR": str(tmp_path), "PODIUM_SECRET_KEY": "k" * 40}

    parsed = Settings.from_env({**environ, "PODIUM_TRUSTED_PROXIES": " 10.0.0.1, 10.1.0.0/16 "})

    assert parsed.trusted_proxies == ("10.0.0.1", "10.1.0.0/16")
    assert Settings.from_env(environ).trusted_proxies == ()
    with pytest.raises(SettingsError, match="PODIUM_TRUSTED_PROXIES"):
        Settings.from_env({**environ, "PODIUM_TRUSTED_PROXIES": "10.0.0.1, proxy.internal"})


async def test_waitlist_joins_are_limited_per_email(settings: Settings, catalog: CatalogFixture) -> None:
    strict = dataclasses.replace(settings, waitlist_limit_per_email=2)
    body = {"email": "queue@example.org", "name": "Q", "add_on": "workshop"}
    async with app_client(create_app(strict)) as client:
        # The workshop has seats, so joining is refused (409) — and still counted as an attempt.
        tries = [await client.post(f"/api/events/{catalog.slug}/waitlist", json=body) for _ in range(3)]

    assert [r.status_code for r in tries] == [409, 409, 429]
    assert tries[0].json()["code"] == "seats_available"
    assert "retry-after" in tries[2].headers


async def test_logins_are_limited_per_address(settings: Settings) -> None:
    strict = dataclasses.replace(
        settings, login_limit_per_address=3, login_max_failures=100, login_max_failures_per_ip=100
    )
    async with app_client(create_app(strict), peer=("192.0.2.50", 4000)) as client:
        tries = [
            await client.post("/api/auth/login", json={"email": f"n{i}@podium.test", "password": "x"}) for i in range(4)
        ]

    assert [r.status_code for r in tries] == [401, 401, 401, 429]
    assert int(tries[3].headers["retry-after"]) > 0


async def test_count_statement_comes_from_sqlalchemys_cache(settings: Settings) -> None:
    """The dialect upsert has no cache key of its own; compiled once, its text is cached (see statement_cache)."""
    from podium.rate_limits import Limit, count

    seen: list[object] = []
    async with db_session_for(settings) as db_session:
        connection = await db_session.connection()

        def remember(conn: object, cursor: object, statement: str, params: object, context: object, many: bool) -> None:
            seen.append(getattr(context, "cache_hit", None))

        event.listen(connection.sync_connection, "before_cursor_execute", remember)
        limits = [Limit("cache-a", 5, 60), Limit("cache-b", 5, 60)]
        first = await count(db_session, limits)
        second = await count(db_session, limits)
        await db_session.commit()

    assert [c.hits for c in first] == [1, 1]
    assert [c.hits for c in second] == [2, 2]
    assert second[0].window_ends_at == first[0].window_ends_at
    assert seen[-1] is CACHE_HIT
