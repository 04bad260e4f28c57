"""Placing, reading and paying for orders through the API, and the hold rules through the services."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, func, select

from podium.errors import NotFound
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.documents.order_facts import load_order_facts, open_order_to_pay
from registration.links.tokens import order_secret
from registration.models import Document, Order, Quota, Registration, StateChange
from registration.orders.holds import expire_holds
from registration.payments.services import OfflineTestProvider
from registration.schemas import OrderCreate
from tests.asgi_client import Client
from tests.registration.factories import (
    PRESS_CODE,
    CatalogFixture,
    attendee,
    build_catalog,
    db_session_for,
    order_body,
    place_committed,
)


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session, workshop_seats=2)


async def place(client: Client, slug: str, body: dict[str, object], key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(f"/api/events/{slug}/orders", json=body, headers=headers)


async def quota_used(settings: Settings, quota_id: object) -> int:
    async with db_session_for(settings) as db_session:
        return (await db_session.scalar(select(Quota.used).where(Quota.id == quota_id))) or 0


async def test_place_order_prices_on_the_server_and_holds_seats(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    body = order_body(attendee(add_ons=["workshop"]))

    response = await place(client, catalog.slug, body)

    order = response.json()
    assert response.status_code == 201
    assert order["status"] == "pending"
    assert (order["subtotal"], order["discount_total"], order["total"]) == (52_000, 0, 52_000)
    assert order["registrations"][0]["status"] == "held"
    assert order["registrations"][0]["add_ons"] == [
        {"code": "workshop", "name": "Grant Writing Workshop", "amount": 12_000, "discount": 0}
    ]
    assert order["payment"]["provider"] == "offline"
    assert order["payment"]["test_mode"] is True
    expires = dt.datetime.fromisoformat(order["hold_expires_at"])
    assert dt.timedelta(minutes=14) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)
    assert await quota_used(settings, catalog.workshop_quota_id) == 1


async def test_place_order_refuses_client_prices(client: Client, catalog: CatalogFixture) -> None:
    body = order_body(attendee(), total=1)

    response = await place(client, catalog.slug, body)

    assert response.status_code == 422
    assert response.json()["field"] == "total"


async def test_place_order_same_idempotency_key_gives_one_order(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    body = order_body(attendee(add_ons=["workshop"]))

    first = await place(client, catalog.slug, body, key="retry-1")
    second = await place(client, catalog.slug, body, key="retry-1")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["secret"] == second.json()["secret"]
    assert await quota_used(settings, catalog.workshop_quota_id) == 1


async def test_place_order_idempotency_key_reused_for_other_body_is_refused(
    client: Client, catalog: CatalogFixture
) -> None:
    await place(client, catalog.slug, order_body(attendee()), key="retry-2")

    response = await place(client, catalog.slug, order_body(attendee()), key="retry-2")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["field"] == "Idempotency-Key"


async def test_place_order_one_registration_per_person_and_event(client: Client, catalog: CatalogFixture) -> None:
    """A paid registration blocks the person's second one (an unpaid hold doesn't: tests/registration/orders/
    test_hold_abuse.py)."""
    first = (await place(client, catalog.slug, order_body(attendee("Ada@Example.org")))).json()
    paid = await client.post(f"/api/orders/{first['id']}/offline-payment", headers={"X-Order-Secret": first["secret"]})
    assert paid.json()["status"] == "paid"

    again = await place(client, catalog.slug, order_body(attendee("ada@example.ORG")))
    twice_in_one = await place(client, catalog.slug, order_body(attendee("x@example.org"), attendee("X@example.org")))

    assert again.status_code == 409
    assert (again.json()["code"], again.json()["field"]) == ("already_registered", "attendees[0].email")
    assert twice_in_one.status_code == 422
    assert twice_in_one.json()["field"] == "attendees[1].email"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"member_number": None}, "attendees[0].member_number", "invalid_input"),
        ({"category": "press", "access_code": "WRONG-CODE"}, "attendees[0].access_code", "invalid_access_code"),
        ({"category": "press"}, "attendees[0].access_code", "invalid_access_code"),
        ({"category": "nobody"}, "attendees[0].category", "invalid_input"),
        ({"category": "non-member", "add_ons": ["reception"]}, "attendees[0].add_ons", "invalid_input"),
        ({"add_ons": ["workshop", "workshop"]}, "attendees[0].add_ons", "invalid_input"),
        ({"add_ons": ["yacht"]}, "attendees[0].add_ons", "invalid_input"),
        ({"answers": {}}, "attendees[0].answers.dietary", "invalid_input"),
        ({"answers": {"dietary": "carnivore"}}, "attendees[0].answers.dietary", "invalid_input"),
        ({"answers": {"dietary": "none", "shoe_size": "44"}}, "attendees[0].answers.shoe_size", "invalid_input"),
        ({"answers": {"dietary": True}}, "attendees[0].answers.dietary", "invalid_input"),
        ({"country": "usa"}, "attendees[0].country", "invalid_input"),
        ({"email": "not-an-email"}, "attendees[0].email", "invalid_input"),
    ],
)
async def test_place_order_bad_attendee_names_the_field(
    client: Client, catalog: CatalogFixture, overrides: dict[str, object], field: str, code: str
) -> None:
    response = await place(client, catalog.slug, order_body(attendee() | overrides))

    problem = response.json()
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert (problem["field"], problem["code"]) == (field, code)


async def test_place_order_free_press_registration_is_confirmed_at_once(
    client: Client, catalog: CatalogFixture
) -> None:
    body = order_body(attendee(category="press", access_code=PRESS_CODE.lower(), member_number=None))

    response = await place(client, catalog.slug, body)

    order = response.json()
    assert order["status"] == "paid"
    assert order["total"] == 0
    assert order["payment"] == {
        "provider": "none",
        "status": "not_required",
        "test_mode": False,
        "instructions": "",
        "client_secret": None,
        "publishable_key": None,
        "in_flight": False,
        "last_error": None,
    }
    assert order["registrations"][0]["status"] == "confirmed"


async def test_income_tier_discount_applies_to_the_fee_only(client: Client, catalog: CatalogFixture) -> None:
    body = order_body(attendee(country="ET", add_ons=["workshop"]))  # Ethiopia: low income, 50 %

    order = (await place(client, catalog.slug, body)).json()

    registration = order["registrations"][0]
    assert (registration["category_amount"], registration["discount"]) == (40_000, 20_000)
    assert order["total"] == 20_000 + 12_000


async def test_promo_codes_percent_fixed_scope_and_comp(client: Client, catalog: CatalogFixture) -> None:
    save10 = (await place(client, catalog.slug, order_body(attendee(add_ons=["workshop"]), promo_code="save10"))).json()
    fixed = (
        await place(client, catalog.slug, order_body(attendee(add_ons=["workshop"]), promo_code="WORKSHOP50"))
    ).json()
    comp = (await place(client, catalog.slug, order_body(attendee(), promo_code="COMP"))).json()
    useless = await place(client, catalog.slug, order_body(attendee(category="non-member"), promo_code="COMP"))

    assert save10["total"] == 52_000 - 4_000 - 1_200
    assert fixed["total"] == 52_000 - 5_000
    assert (comp["total"], comp["status"]) == (0, "paid")
    assert useless.status_code == 422
    assert useless.json()["field"] == "promo_code"


async def test_promo_code_max_uses_is_enforced(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, comp_max_uses=1)

    first = await place(client, catalog.slug, order_body(attendee(), promo_code="COMP"))
    second = await place(client, catalog.slug, order_body(attendee(), promo_code="COMP"))
    unknown = await place(client, catalog.slug, order_body(attendee(), promo_code="NOPE-NOPE"))

    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (409, "promo_exhausted")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "promo_code")


async def test_sold_out_add_on_is_refused_naming_it(client: Client, catalog: CatalogFixture) -> None:
    for _ in range(2):
        assert (await place(client, catalog.slug, order_body(attendee(add_ons=["workshop"])))).status_code == 201

    response = await place(client, catalog.slug, order_body(attendee(add_ons=["workshop"])))

    problem = response.json()
    assert response.status_code == 409
    assert (problem["code"], problem["field"]) == ("sold_out", "attendees[0].add_ons")
    assert problem["detail"] == "Grant Writing Workshop is sold out (0 seats are left)"


async def test_a_sold_out_refusal_reads_in_the_callers_language(client: Client, catalog: CatalogFixture) -> None:
    """Only the human words change: the code and the field are for programs."""
    for _ in range(2):
        await place(client, catalog.slug, order_body(attendee(add_ons=["workshop"])))

    response = await client.post(
        f"/api/events/{catalog.slug}/orders",
        json=order_body(attendee(add_ons=["workshop"])),
        headers={"Accept-Language": "es"},
    )

    problem = response.json()
    assert (response.status_code, problem["code"], problem["field"]) == (409, "sold_out", "attendees[0].add_ons")
    assert (problem["title"], problem["detail"]) == ("Agotado", "Grant Writing Workshop está agotado (quedan 0 plazas)")


async def test_expired_holds_return_their_seats_exactly_once(settings: Settings, catalog: CatalogFixture) -> None:

    data = msgspec.convert(order_body(attendee("late@example.org", add_ons=["workshop"])), OrderCreate)
    placed_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    async with db_session_for(settings) as db_session:
        order, _ = await place_committed(
            db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider(), now=placed_at
        )

        first = await expire_holds(db_session)
        second = await expire_holds(db_session)
        await db_session.commit()

        registration_status = await db_session.scalar(
            select(Registration.status).where(Registration.order_id == order.id)
        )
        audit = (await db_session.scalars(select(StateChange.to_status).where(StateChange.entity_id == order.id))).all()
    assert (first, second) == (1, 0)
    assert registration_status == "expired"
    assert sorted(audit, key=str) == ["expired", "pending"]
    assert await quota_used(settings, catalog.workshop_quota_id) == 0


async def test_stale_hold_is_released_lazily_when_seats_run_out(settings: Settings, client: Client) -> None:

    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=1)
        data = msgspec.convert(order_body(attendee(add_ons=["workshop"])), OrderCreate)
        await place_committed(
            db_session,
            event_slug=catalog.slug,
            data=data,
            provider=OfflineTestProvider(),
            now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        )

    response = await place(client, catalog.slug, order_body(attendee(add_ons=["workshop"])))

    assert response.status_code == 201
    assert await quota_used(settings, catalog.workshop_quota_id) == 1


async def test_offline_payment_confirms_and_is_idempotent(client: Client, catalog: CatalogFixture) -> None:
    order = (
        await place(
            client,
            catalog.slug,
            order_body(
                attendee(), attendee(category="student", member_number=None, verification_note="PhD student at MIT")
            ),
        )
    ).json()
    url = f"/api/orders/{order['id']}/offline-payment"

    paid = await client.post(url, headers={"X-Order-Secret": order["secret"]})
    again = await client.post(url, params={"secret": order["secret"]})

    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert [r["status"] for r in paid.json()["registrations"]] == ["confirmed", "awaiting_verification"]
    assert again.json()["paid_at"] == paid.json()["paid_at"]


async def test_offline_payments_racing_for_one_order_record_one_payment(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = (await place(client, catalog.slug, order_body(attendee()))).json()
    url = f"/api/orders/{order['id']}/offline-payment"

    racing = await asyncio.gather(*(client.post(url, headers={"X-Order-Secret": order["secret"]}) for _ in range(8)))
    later = await client.post(url, headers={"X-Order-Secret": order["secret"]})

    async with db_session_for(settings) as db_session:
        payments = await db_session.scalar(
            select(func.count()).where(
                StateChange.entity == "order",
                StateChange.entity_id == order["id"],
                StateChange.to_status == "paid",
                StateChange.from_status == "pending",
            )
        )
        receipts = await db_session.scalar(select(func.count()).where(Document.order_id == order["id"]))
        mails = await db_session.scalar(
            select(func.count()).where(OutboxMessage.dedupe_key == f"receipt:{order['id']}")
        )
    assert {(r.status_code, r.json()["status"]) for r in [*racing, later]} == {(200, "paid")}
    assert len({r.json()["paid_at"] for r in [*racing, later]}) == 1
    assert (payments, receipts, mails) == (1, 1, 1)


async def test_offline_payment_after_hold_expired_is_refused_and_the_expiry_is_kept(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    """The refusal ends the hold, and the request that found out commits that (the service doesn't)."""
    data = msgspec.convert(order_body(attendee(add_ons=["workshop"])), OrderCreate)
    async with db_session_for(settings) as db_session:
        order, _ = await place_committed(
            db_session,
            event_slug=catalog.slug,
            data=data,
            provider=OfflineTestProvider(),
            now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16),
        )
        secret = order_secret(settings.secret_key, order.id, order.secret_version)
    assert await quota_used(settings, catalog.workshop_quota_id) == 1

    refused = await client.post(f"/api/orders/{order.id}/offline-payment", headers={"X-Order-Secret": secret})

    assert refused.status_code == 409
    assert refused.json()["code"] == "hold_expired"
    assert await quota_used(settings, catalog.workshop_quota_id) == 0
    async with db_session_for(settings) as db_session:
        assert await db_session.scalar(select(Order.status).where(Order.id == order.id)) == "expired"


async def test_offline_payment_is_refused_in_production(
    app: Litestar, settings: Settings, catalog: CatalogFixture
) -> None:
    from podium.main.app import create_app

    production = create_app(dataclasses.replace(settings, environment="production"))
    async with AsyncTestClient(app=production) as client:
        order = (await place(client, catalog.slug, order_body(attendee()))).json()

        response = await client.post(
            f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
        )

    assert response.status_code == 403
    assert response.json()["code"] == "offline_payments_disabled"


async def test_order_link_opens_only_its_own_order(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    mine = (await place(client, catalog.slug, order_body(attendee()))).json()
    theirs = (await place(client, catalog.slug, order_body(attendee()))).json()

    own = await client.get(f"/api/orders/{mine['id']}", params={"secret": mine["secret"]})
    other = await client.get(f"/api/orders/{theirs['id']}", params={"secret": mine["secret"]})
    no_secret = await client.get(f"/api/orders/{theirs['id']}")
    as_organizer = await client.get(f"/api/orders/{theirs['id']}", headers=organizer)
    as_staff = await client.get(f"/api/orders/{theirs['id']}", headers=staff)

    assert own.json()["buyer_email"] == "buyer@example.org"
    assert [r.status_code for r in (other, no_secret, as_staff)] == [404, 404, 404]
    assert other.json() == no_secret.json()
    assert as_organizer.json()["id"] == theirs["id"]


async def test_place_order_on_unknown_or_closed_event(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        not_yet = await build_catalog(db_session, opens_in_days=3)

    closed = await place(client, not_yet.slug, order_body(attendee()))
    unknown = await place(client, "no-such-event", order_body(attendee()))

    assert (closed.status_code, closed.json()["code"]) == (409, "registration_closed")
    assert unknown.status_code == 404


async def test_every_change_is_in_the_audit_trail(client: Client, catalog: CatalogFixture, settings: Settings) -> None:
    order = (await place(client, catalog.slug, order_body(attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})

    async with db_session_for(settings) as db_session:
        changes = (
            await db_session.execute(
                select(StateChange.entity, StateChange.from_status, StateChange.to_status, StateChange.actor)
                .where(StateChange.entity_id.in_([UUID(order["id"]), UUID(order["registrations"][0]["id"])]))
                .order_by(StateChange.created_at, StateChange.entity)
            )
        ).all()
        count = (await db_session.scalars(select(func.count()).select_from(StateChange))).one()

    assert [tuple(c) for c in changes] == [
        ("order", None, "pending", "buyer"),
        ("registration", None, "held", "buyer"),
        ("order", "pending", "paid", "buyer:buyer@example.org"),
        ("registration", "held", "confirmed", "buyer:buyer@example.org"),
    ]
    assert count >= 4


async def _pay_seeing_statements(
    app: Litestar, client: Client, order: dict[str, Any]
) -> tuple[httpx.Response, list[str]]:
    """Pay ``order`` offline; with every statement the app ran meanwhile."""
    engine = app.state["podium_session_maker"].kw["bind"].sync_engine
    ran: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        ran.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        paid = await client.post(
            f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
        )
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return paid, ran


async def test_paying_an_order_reads_each_table_once(app: Litestar, client: Client, catalog: CatalogFixture) -> None:
    body = order_body(attendee(add_ons=["workshop"]), attendee(first_name="Bo"))
    order = (await place(client, catalog.slug, body)).json()
    paid, ran = await _pay_seeing_statements(app, client, order)
    read = [
        words[words.index("FROM") + 1]
        for words in map(str.split, ran)
        if words[0].upper() == "SELECT" and "FROM" in words
    ]

    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert [r["status"] for r in paid.json()["registrations"]] == ["confirmed", "confirmed"]
    assert [p["amount_captured"] for p in paid.json()["payments"]] == [order["total"]]
    # The order locked with its event, the seller and billing details and the registrations with their
    # categories and add-ons, in one read: once, for the change, the receipt, the mails and the response alike
    # (SQLite also numbers the receipt in the same transaction, reading its counter and the pending documents).
    assert [t for t in read if t not in ("document_counter", "document")] == ["reg_order"]


async def test_the_facts_read_with_the_order_lock_serve_only_that_transaction(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    """``open_order_to_pay`` reads the order's facts with its lock for the confirmation that follows; a later
    transaction, or another order, reads them anew, and a wrong secret opens nothing."""
    order = (await place(client, catalog.slug, order_body(attendee(add_ons=["workshop"])))).json()
    order_id = UUID(order["id"])
    async with db_session_for(settings) as db_session:
        with pytest.raises(NotFound):
            await open_order_to_pay(db_session, order_id, secret="not-the-secret", secret_key=settings.secret_key)
        await db_session.rollback()
        opened = await open_order_to_pay(db_session, order_id, secret=order["secret"], secret_key=settings.secret_key)
        assert db_session.bind is not None
        ran: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.startswith("SELECT"):  # (SQLite's BEGIN IMMEDIATE aside)
                ran.append(statement)

        event.listen(db_session.bind.sync_engine, "before_cursor_execute", note)
        try:
            in_the_same = await load_order_facts(db_session, opened)
            read_then = len(ran)
            await db_session.commit()
            in_the_next = await load_order_facts(db_session, opened)
        finally:
            event.remove(db_session.bind.sync_engine, "before_cursor_execute", note)

    assert read_then == 0
    assert len(ran) == 1  # the next transaction read them again
    for facts in (in_the_same, in_the_next):
        assert [str(r.id) for r in facts.registrations] == [r["id"] for r in order["registrations"]]
        assert [line.add_on_id for line in facts.registrations[0].add_ons] == list(facts.add_ons)
        assert facts.event.slug == catalog.slug


async def test_a_payment_writes_its_changes_and_mails_in_one_statement_on_postgresql(
    app: Litestar, client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    """On PostgreSQL the payment is the order locked with its facts, and one statement for everything it
    writes, its two mails included (``podium.db_flush``, ``outbox.add_all_once``); on SQLite the same rows."""
    body = order_body(attendee(add_ons=["workshop"]), attendee(first_name="Bo", email="bo@example.org"))
    order = (await place(client, catalog.slug, body)).json()
    paid, ran = await _pay_seeing_statements(app, client, order)

    assert paid.status_code == 200
    async with db_session_for(settings) as db_session:
        people = (
            await db_session.execute(
                select(Registration.id, Registration.email).where(Registration.order_id == order["id"])
            )
        ).all()
        expected = {f"confirmation:{id_}": email for id_, email in people} | {
            f"receipt:{order['id']}": order["buyer_email"]
        }
        mails = (
            await db_session.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.to_address).where(OutboxMessage.dedupe_key.in_(expected))
            )
        ).tuples()
        written = dict(mails.all())
    assert len(people) == 2 and "bo@example.org" in expected.values()
    assert written == expected  # the buyer's, and one for each attendee under another email
    if app.state["podium_session_maker"].kw["bind"].dialect.name == "postgresql":
        assert [statement.split()[0].upper() for statement in ran] == ["SELECT", "WITH"]
