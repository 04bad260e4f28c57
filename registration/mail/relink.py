"""Taking a secret link back: a new version for an order's or a registration's link, mailed to its holder.

The version moves with one ``UPDATE … SET secret_version = secret_version + 1 RETURNING``, so regenerations that
race each get a version of their own: each mails its own link (``registration.mail.services``), and only the last one
opens anything. The new link is never in the answer, only in the holder's mail: whoever regenerates with a
leaked link can lock the holder out of nothing. Regenerations by the link's holder count against a limit per
link (``podium.rate_limits``), so a leaked link can't flood the holder's inbox either; organizers' don't count.
The request commits the new version with its mail (both or neither).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write
from podium.rate_limits import Limit, hit
from podium.settings import Settings
from registration.audit.services import record
from registration.mail.services import enqueue_order_link_mail, enqueue_registration_link_mail
from registration.models import Order, Registration


async def regenerate_order_link(
    db_session: AsyncSession, order_id: UUID, *, actor: str, by_organizer: bool, mail_limit: Limit
) -> Order:
    """The caller has opened the order (its secret or an organizer); the old link stops working at once."""
    if not by_organizer:
        await hit(db_session, [mail_limit])
    await begin_write(db_session)
    await db_session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(secret_version=Order.secret_version + 1)
        .execution_options(synchronize_session=False)
    )
    order = await db_session.get_one(Order, order_id, populate_existing=True)
    note = f"new secret link (v{order.secret_version})"
    record(db_session, "order", order.id, order.status, order.status, actor, note, action="link_regenerated")
    await enqueue_order_link_mail(db_session, order, by_organizer=by_organizer)
    return order


async def regenerate_registration_link(
    db_session: AsyncSession, registration_id: UUID, *, actor: str, by_organizer: bool, mail_limit: Limit
) -> Registration:
    """The caller has opened the registration (``registration.links.rule``); its page link and the calendar feed
    made from it stop working at once; the badge stays (see ``badges.hooks``)."""
    if not by_organizer:
        await hit(db_session, [mail_limit])
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
        action="link_regenerated",
    )
    await enqueue_registration_link_mail(db_session, registration, by_organizer=by_organizer)
    return registration


def link_mail_limit(settings: Settings, kind: str, link_id: UUID) -> Limit:
    """How many new links the holder of this order's or registration's link may have mailed per window."""
    return Limit(f"link-mail:{kind}:{link_id}", settings.link_mails_per_link, settings.rate_limit_window_seconds)
