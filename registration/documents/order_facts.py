"""What an order's confirmation, its receipt, its mail and its response need to know, read once.

Paying an order used to read its registrations, event and catalog names four times over (the status change,
the receipt, the confirmation mail, the response), about twenty statements of a paid order's thirty. Here it
is one statement: the registrations with their category and their add-ons with their names, beside the event
with its seller and the order's billing details. Whoever needs them takes an ``OrderFacts`` and reads no more.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload
from sqlalchemy.orm.attributes import set_committed_value

from events.models import Event
from podium.auth.schemas import CurrentUser
from registration.links.rule import SECRET_ONLY, opened_order
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
_FACT_COLUMNS = (
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


def _facts_select(with_order: bool) -> Select[Any]:
    """The facts' one statement: from the event of an order already read (``event_id``), or from the order
    itself, which then leads each row and is locked (``FOR UPDATE OF reg_order``; the outer joins are all on
    the other side of it)."""
    if with_order:
        query = select(Order, *_FACT_COLUMNS).select_from(Order).join(Event, Event.id == Order.event_id)
    else:
        query = select(*_FACT_COLUMNS).select_from(Event)
    query = (
        query.outerjoin(SellerDetails, SellerDetails.event_id == Event.id)
        .outerjoin(BillingDetails, BillingDetails.order_id == _ORDER_ID)
        .outerjoin(Registration, Registration.order_id == _ORDER_ID)
        .outerjoin(Category, Category.id == Registration.category_id)
        .outerjoin(RegistrationAddOn, RegistrationAddOn.registration_id == Registration.id)
        .outerjoin(AddOn, AddOn.id == RegistrationAddOn.add_on_id)
        .order_by(Registration.position, AddOn.code)
        .options(noload(Registration.add_ons))  # set below, from the rows' add-ons
    )
    if with_order:
        return query.where(Order.id == _ORDER_ID).with_for_update(of=Order)
    return query.where(Event.id == bindparam("event_id", type_=Event.__table__.c.id.type))


_FACTS = _facts_select(with_order=False)
_ORDER_AND_FACTS_FOR_UPDATE = _facts_select(with_order=True)

# The facts read with the order's lock (``open_order_to_pay``), for the confirmation in the same transaction:
# (transaction, order id, facts) in the session's ``info``.
_READ_WITH_LOCK = "registration.order_facts"


def _facts_of(rows: Sequence[Row[Any]], first: int) -> OrderFacts:
    """``rows`` of the facts' statement, whose columns start at ``first``: a row per registration and add-on
    (an order has one or a few of each), the event's with each."""
    event, seller, billing = rows[0][first], rows[0][first + 1], rows[0][first + 2]
    registrations: list[Registration] = []
    categories: dict[UUID, Named] = {}
    add_ons: dict[UUID, Named] = {}
    by_registration: dict[UUID, list[RegistrationAddOn]] = {}
    # Outer joins: the event's row comes back even for an order without registrations.
    for row in rows:
        registration, line = row[first + 3], row[first + 8]
        if registration is None:
            continue
        if registration.id not in by_registration:
            registrations.append(registration)
            categories[registration.category_id] = Named(row[first + 4], row[first + 5], row[first + 6], row[first + 7])
            by_registration[registration.id] = []
        if line is not None:
            by_registration[registration.id].append(line)
            add_ons[line.add_on_id] = Named(row[first + 9], row[first + 10], translations=row[first + 11])
    for registration in registrations:
        set_committed_value(registration, "add_ons", by_registration[registration.id])
    return OrderFacts(event, registrations, categories, add_ons, seller, billing)


async def load_order_facts(db_session: AsyncSession, order: Order) -> OrderFacts:
    """The order's registrations (the session's own objects, so changes made to them show), their catalog
    names and the event's seller and order's billing details, in one statement; none when the order was
    opened to be paid in this transaction (``open_order_to_pay`` read them with it)."""
    transaction = db_session.sync_session.get_transaction()
    read = db_session.info.pop(_READ_WITH_LOCK, None)
    if read is not None and transaction is not None and read[0] is transaction and read[1] == order.id:
        return read[2]
    rows = (await db_session.execute(_FACTS, {"order_id": order.id, "event_id": order.event_id})).all()
    return _facts_of(rows, 0)


async def open_order_to_pay(
    db_session: AsyncSession,
    order_id: UUID,
    *,
    secret: str | None,
    secret_key: str,
    user: CurrentUser | None = None,
    admits: Collection[str] = SECRET_ONLY,
    for_update: bool = True,
) -> Order:
    """``links.rule.open_order(for_update=True)`` for a payment: the order locked and its facts in one
    statement, kept for the confirmation's ``load_order_facts`` in this transaction (a round trip fewer for
    every payment: about a twentieth of a paid order's server CPU). ``for_update`` is always so here."""
    rows = (await db_session.execute(_ORDER_AND_FACTS_FOR_UPDATE, {"order_id": order_id})).all()
    order = opened_order(rows[0][0] if rows else None, secret=secret, secret_key=secret_key, user=user, admits=admits)
    db_session.info[_READ_WITH_LOCK] = (db_session.sync_session.get_transaction(), order.id, _facts_of(rows, 1))
    return order
