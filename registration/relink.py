"""Taking a secret link back: a new version for an order's or a registration's link, mailed to its holder.

The version moves with one ``UPDATE … SET secret_version = secret_version + 1 RETURNING``, so regenerations that
race each get a version of their own: each mails its own link (``registration.mail``), and only the last one
opens anything. The new link is never in the answer, only in the holder's mail: whoever regenerates with a
leaked link can lock the holder out of nothing.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write
from registration.audit import record
from registration.mail import enqueue_order_link_mail, enqueue_registration_link_mail
from registration.models import Order, Registration


async def regenerate_order_link(db_session: AsyncSession, order_id: UUID, *, actor: str, by_organizer: bool) -> Order:
    """The caller has opened the order (its secret or an organizer); the old link stops working at once."""
    await begin_write(db_session)
    await db_session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(secret_version=Order.secret_version + 1)
        .execution_options(synchronize_session=False)
    )
    order = await db_session.get_one(Order, order_id, populate_existing=True)
    note = f"new secret link (v{order.secret_version})"
    record(db_session, "order", order.id, order.status, order.status, actor, note)
    await enqueue_order_link_mail(db_session, order, by_organizer=by_organizer)
    await db_session.commit()
    return order


async def regenerate_registration_link(
    db_session: AsyncSession, registration_id: UUID, *, actor: str, by_organizer: bool
) -> Registration:
    """The caller has opened the registration (``registration.portal``); its page link and the calendar feed
    made from it stop working at once; the badge stays (see ``badges.hooks``)."""
    await begin_write(db_session)
    await db_session.execute(
        update(Registration)
        .where(Registration.id == registration_id)
        .values(secret_version=Registration.secret_version + 1)
        .execution_options(synchronize_session=False)
    )
    registration = await db_session.get_one(Registration, registration_id, populate_existing=True)
    record(
        db_session,
        "registration",
        registration.id,
        registration.status,
        registration.status,
        actor,
        f"new secret link (v{registration.secret_version})",
    )
    await enqueue_registration_link_mail(db_session, registration, by_organizer=by_organizer)
    await db_session.commit()
    return registration
