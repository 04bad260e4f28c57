"""The last word on seats: the counters taken at commit refuse what the lock-free look let through.

Placing an order looks at the counters without a lock first and takes them at the very end (on PostgreSQL in
the one statement that writes the order). These tests make the look lie, so only the final take can refuse, and
check that it does and that nothing of the order is left behind; on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from sqlalchemy import Update, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from podium.errors import Conflict
from podium.settings import Settings
from registration.models import Order, PromoCode, Quota, Registration, StateChange
from registration.orders import placing as order_placing
from registration.orders.snapshot import Snapshot
from registration.orders.validation import SoldOut
from registration.payments.services import OfflineTestProvider
from registration.schemas import OrderCreate
from tests.registration.factories import (
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
        return await build_catalog(db_session, workshop_seats=2, comp_max_uses=1)


async def _nothing_written(settings: Settings, catalog: CatalogFixture) -> tuple[int, int, int]:
    async with db_session_for(settings) as db_session:
        order_count = await db_session.scalar(select(func.count()).where(Order.event_id == catalog.event_id))
        registration_count = await db_session.scalar(
            select(func.count()).where(Registration.event_id == catalog.event_id)
        )
        audit_count = await db_session.scalar(select(func.count()).select_from(StateChange))
    return int(order_count or 0), int(registration_count or 0), int(audit_count or 0)


async def _set(settings: Settings, statement: Update) -> None:
    async with db_session_for(settings) as db_session:
        await db_session.execute(statement)
        await db_session.commit()


async def test_the_final_take_refuses_a_seat_the_look_saw_free(
    settings: Settings, catalog: CatalogFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert catalog.workshop_quota is not None
    audit_before = (await _nothing_written(settings, catalog))[2]
    await _set(settings, update(Quota).where(Quota.id == catalog.workshop_quota.id).values(used=2))

    real_read_snapshot = order_placing.read_snapshot

    async def saw_free(*args: Any, **kwargs: Any) -> Snapshot:
        found = await real_read_snapshot(*args, **kwargs)
        found.seats_left = {quota: (name, 2) for quota, (name, _) in found.seats_left.items()}
        return found

    monkeypatch.setattr(order_placing, "read_snapshot", saw_free)
    data = msgspec.convert(order_body(attendee(add_ons=["workshop"])), OrderCreate)
    async with db_session_for(settings) as db_session:
        with pytest.raises(SoldOut) as refused:
            await place_committed(db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider())

    assert refused.value.field == "attendees[0].add_ons"
    assert "Grant Writing Workshop is sold out (0 seats are left)" in str(refused.value)
    assert await _nothing_written(settings, catalog) == (0, 0, audit_before)
    async with db_session_for(settings) as db_session:
        assert await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota.id)) == 2


async def test_the_final_take_refuses_a_promo_code_used_up_meanwhile(
    settings: Settings, catalog: CatalogFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_before = (await _nothing_written(settings, catalog))[2]
    data = msgspec.convert(order_body(attendee(), promo_code="COMP"), OrderCreate)
    real_find_promo = order_placing.find_promo

    async def found_then_used_up(db_session: AsyncSession, *args: Any) -> PromoCode | None:
        promo = await real_find_promo(db_session, *args)
        assert promo is not None
        # As if another order used the last one after this order looked it up (in this transaction, as
        # SQLite's write lock lets nobody else in).
        await db_session.execute(update(PromoCode).where(PromoCode.id == promo.id).values(used=1))
        return promo

    monkeypatch.setattr(order_placing, "find_promo", found_then_used_up)
    async with db_session_for(settings) as db_session:
        with pytest.raises(Conflict) as refused:
            await place_committed(db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider())

    assert (refused.value.code, refused.value.field) == ("promo_exhausted", "promo_code")
    assert await _nothing_written(settings, catalog) == (0, 0, audit_before)


async def test_the_database_refuses_a_counter_past_its_size(settings: Settings, catalog: CatalogFixture) -> None:
    assert catalog.workshop_quota is not None
    with pytest.raises(IntegrityError):
        await _set(settings, update(Quota).where(Quota.id == catalog.workshop_quota.id).values(used=3))


async def test_an_order_that_fits_takes_its_seats_at_commit(settings: Settings, catalog: CatalogFixture) -> None:
    assert catalog.workshop_quota is not None
    data = msgspec.convert(order_body(attendee(add_ons=["workshop"]), attendee(add_ons=["workshop"])), OrderCreate)
    async with db_session_for(settings) as db_session:
        order, created = await place_committed(
            db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider()
        )
        # The session is usable afterwards: the order reads back in a new transaction.
        assert (await db_session.get(Order, order.id, populate_existing=True)) is not None
    async with db_session_for(settings) as db_session:
        used = await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota.id))
        status = await db_session.scalar(select(Order.status).where(Order.id == order.id))
    assert (created, used, status) == (True, 2, "pending")
