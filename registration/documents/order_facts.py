"""What an order's confirmation, its receipt, its mail and its response need to know, read once.

Paying an order used to read its registrations, event and catalog names four times over (the status change,
the receipt, the confirmation mail, the response), about twenty statements of a paid order's thirty. Here it
is one statement: the registrations with their category and their add-ons with their names, beside the event
with its seller and the order's billing details. Whoever needs them takes an ``OrderFacts`` and reads no more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload
from sqlalchemy.orm.attributes import set_committed_value

from events.models import Event
from registration.models import (
    AddOn,
    BillingDetails,
    Category,
    Order,
    Registration,
    RegistrationAddOn,
    SellerDetails,
)


@dataclass(frozen=True, slots=True)
class Named:
    """A catalog item as an order shows it (a category also says who may hold it)."""

    code: str
    name: str
    eligibility: str = ""
    # The name in other languages (``podium.translated``), for what is written live in a reader's language;
    # receipts freeze the base name.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    event: Event
    # By position, each with its add-ons loaded (ordered by add-on code) and its live status.
    registrations: list[Registration]
    categories: dict[UUID, Named]
    add_ons: dict[UUID, Named]
    seller: SellerDetails | None
    billing: BillingDetails | None


# Built once: SQLAlchemy then takes its cache key and compiled form from the object itself (building this
# select and its cache key anew cost about as much CPU as the rest of the read).
_ORDER_ID = bindparam("order_id", type_=Registration.__table__.c.order_id.type)
_FACTS = (
    select(
        Event,
        SellerDetails,
        BillingDetails,
        Registration,
        Category.code,
        Category.name,
        Category.eligibility,
        Category.translations,
        RegistrationAddOn,
        AddOn.code,
        AddOn.name,
        AddOn.translations,
    )
    .select_from(Event)
    .outerjoin(SellerDetails, SellerDetails.event_id == Event.id)
    .outerjoin(BillingDetails, BillingDetails.order_id == _ORDER_ID)
    .outerjoin(Registration, Registration.order_id == _ORDER_ID)
    .outerjoin(Category, Category.id == Registration.category_id)
    .outerjoin(RegistrationAddOn, RegistrationAddOn.registration_id == Registration.id)
    .outerjoin(AddOn, AddOn.id == RegistrationAddOn.add_on_id)
    .where(Event.id == bindparam("event_id", type_=Event.__table__.c.id.type))
    .order_by(Registration.position, AddOn.code)
    .options(noload(Registration.add_ons))  # set below, from the rows' add-ons
)


async def load_order_facts(db_session: AsyncSession, order: Order) -> OrderFacts:
    """The order's registrations (the session's own objects, so changes made to them show), their catalog
    names and the event's seller and order's billing details, in one statement: a row per registration and
    add-on (an order has one or a few of each), the event's with each."""
    rows = (await db_session.execute(_FACTS, {"order_id": order.id, "event_id": order.event_id})).all()
    event, seller, billing = rows[0][0], rows[0][1], rows[0][2]
    registrations: list[Registration] = []
    categories: dict[UUID, Named] = {}
    add_ons: dict[UUID, Named] = {}
    by_registration: dict[UUID, list[RegistrationAddOn]] = {}
    # Outer joins: the event's row comes back even for an order without registrations.
    for row in rows:
        registration, line = row[3], row[8]
        if registration is None:
            continue
        if registration.id not in by_registration:
            registrations.append(registration)
            categories[registration.category_id] = Named(row[4], row[5], row[6], row[7])
            by_registration[registration.id] = []
        if line is not None:
            by_registration[registration.id].append(line)
            add_ons[line.add_on_id] = Named(row[9], row[10], translations=row[11])
    for registration in registrations:
        set_committed_value(registration, "add_ons", by_registration[registration.id])
    return OrderFacts(event, registrations, categories, add_ons, seller, billing)
