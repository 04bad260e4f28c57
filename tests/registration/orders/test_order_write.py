"""A placed order is written whole: on PostgreSQL in autocommit by one statement (``orders.write``), else by the ORM.

The same assertions run on both databases, so the one-statement write is held to what the ORM writes: every
row, every column that matters, the counters and the audit trail.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from sqlalchemy import select

from podium.db import begin_autocommit
from podium.settings import Settings
from registration.models import (
    Order,
    OrderQuota,
    PromoCode,
    Quota,
    Registration,
    RegistrationAddOn,
    StateChange,
)
from registration.orders import placing as order_placing
from registration.payments.services import OfflineTestProvider
from registration.schemas import OrderCreate
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body, place_committed


async def test_a_placed_order_is_written_whole(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=5, member_seats=10, event_seats=100)
    body = order_body(
        attendee(add_ons=["workshop"], answers={"dietary": "vegan", "accessibility": "step-free access"}),
        attendee(add_ons=["workshop"], affiliation="  Analytical Engines  "),
        promo_code="SAVE10",
    )
    data = msgspec.convert(body, OrderCreate)
    before = dt.datetime.now(dt.UTC)
    async with db_session_for(settings) as db_session:
        placed, created = await place_committed(
            db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider(), idempotency_key="k-1"
        )

    async with db_session_for(settings) as db_session:
        order = await db_session.get(Order, placed.id)
        registrations = (
            await db_session.scalars(
                select(Registration).where(Registration.order_id == placed.id).order_by(Registration.position)
            )
        ).all()
        add_ons = (
            await db_session.scalars(
                select(RegistrationAddOn).where(RegistrationAddOn.registration_id.in_([r.id for r in registrations]))
            )
        ).all()
        held = dict((await db_session.execute(select(OrderQuota.quota_id, OrderQuota.count))).tuples().all())
        used = dict((await db_session.execute(select(Quota.id, Quota.used))).tuples().all())
        promo_used = await db_session.scalar(select(PromoCode.used).where(PromoCode.code == "SAVE10"))
        audit = (
            await db_session.execute(
                select(StateChange.entity, StateChange.entity_id, StateChange.from_status, StateChange.to_status)
            )
        ).all()

    assert created and order is not None
    assert (order.status, order.idempotency_key, order.payment_provider) == ("pending", "k-1", "offline")
    assert (order.subtotal, order.discount_total, order.total) == (placed.subtotal, placed.discount_total, placed.total)
    assert order.discount_total > 0 and order.total == order.subtotal - order.discount_total
    assert (order.promo_uses, order.secret_version, order.amount_refunded, order.paid_at) == (2, 1, 0, None)
    assert order.request_hash == order_placing.request_fingerprint(data)
    assert before <= order.created_at <= dt.datetime.now(dt.UTC)
    assert order.hold_expires_at is not None and order.hold_expires_at > order.created_at
    assert [(r.position, r.status, r.secret_version) for r in registrations] == [(0, "held", 1), (1, "held", 1)]
    assert registrations[0].answers == {"dietary": "vegan", "accessibility": "step-free access"}
    assert (registrations[1].affiliation, registrations[1].member_number) == ("Analytical Engines", "M-12345")
    assert sorted((a.add_on_id, a.amount) for a in add_ons) == [(catalog.workshop.id, 12_000)] * 2
    quotas = [catalog.workshop_quota, catalog.member_quota, catalog.event_quota]
    assert all(q is not None for q in quotas)
    assert {q.id: held[q.id] for q in quotas if q is not None} == {q.id: 2 for q in quotas if q is not None}
    assert {q.id: used[q.id] for q in quotas if q is not None} == {q.id: 2 for q in quotas if q is not None}
    assert promo_used == 2
    assert sorted((entity, entity_id, before_, after) for entity, entity_id, before_, after in audit) == sorted(
        [("order", order.id, None, "pending")] + [("registration", r.id, None, "held") for r in registrations]
    )


@pytest.mark.parametrize("one_statement", [True, False], ids=["one-statement", "portable"])
async def test_every_write_path_stamps_the_counters_it_moves(settings: Settings, one_statement: bool) -> None:
    """A counter's ``updated_at`` is the order's own time on both write paths (``holds.moved``): a path that
    forgot it leaves the counter's old stamp (the one statement) or the clock's (the ORM's ``onupdate``)."""
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=5, member_seats=10, event_seats=100)
    data = msgspec.convert(order_body(attendee(add_ons=["workshop"]), promo_code="SAVE10"), OrderCreate)
    placed_at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=3)

    async with db_session_for(settings) as db_session:
        autocommit = one_statement and await begin_autocommit(db_session)
        await order_placing.place_order(
            db_session,
            event_slug=catalog.slug,
            data=data,
            provider=OfflineTestProvider(),
            now=placed_at,
            autocommit=autocommit,
        )
        await db_session.commit()

    quotas = [q.id for q in (catalog.workshop_quota, catalog.member_quota, catalog.event_quota) if q is not None]
    async with db_session_for(settings) as db_session:
        stamps = dict(
            (await db_session.execute(select(Quota.id, Quota.updated_at).where(Quota.id.in_(quotas)))).tuples().all()
        )
        promo_stamp = await db_session.scalar(
            select(PromoCode.updated_at).where(PromoCode.event_id == catalog.event_id, PromoCode.code == "SAVE10")
        )
    assert len(quotas) == 3
    assert stamps == dict.fromkeys(quotas, placed_at)
    assert promo_stamp == placed_at
