"""A webhook's event id and its effect are one unit of work, owned by the request that commits it."""

from __future__ import annotations

import time
from uuid import UUID

import msgspec
import stripe
from sqlalchemy import func, select

from podium.settings import Settings
from registration.models import Order, WebhookEvent
from registration.orders import webhooks
from registration.payments.services import OfflineTestProvider
from registration.schemas import OrderCreate
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body, place_committed


def _succeeded(event_id: str, order_id: UUID, amount: int) -> stripe.Event:
    intent = {
        "id": f"pi_{event_id}",
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": "usd",
        "metadata": {"order_id": str(order_id)},
    }
    body = {"id": event_id, "object": "event", "type": "payment_intent.succeeded", "created": int(time.time())}
    return stripe.Event.construct_from({**body, "data": {"object": intent}}, "sk_test_podium")


async def test_an_event_whose_transaction_is_dropped_is_applied_when_delivered_again(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        data = msgspec.convert(order_body(attendee(add_ons=["workshop"])), OrderCreate)
        order, _ = await place_committed(db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider())
        event = _succeeded("evt_dropped", order.id, order.total)

        dropped = await webhooks.handle(db_session, event)
        await db_session.rollback()
        again = await webhooks.handle(db_session, event)
        await db_session.commit()
        replay = await webhooks.handle(db_session, event)
        await db_session.commit()

        status = await db_session.scalar(select(Order.status).where(Order.id == order.id))
        recorded = await db_session.scalar(select(func.count()).where(WebhookEvent.event_id == "evt_dropped"))
    assert [h.outcome for h in (dropped, again, replay)] == ["confirmed", "confirmed", "duplicate"]
    assert (status, recorded) == ("paid", 1)
