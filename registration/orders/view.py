"""The buyer's view of an order (``OrderRead``): the secret link, its registrations and what to do about payment.

Right after placing or paying an order, the verb that did it already holds what the view shows (the catalog it
priced with, the facts it confirmed with, the payment it recorded) and hands it over as ``Known``, so the
response reads nothing again; any other caller passes nothing and the view reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.i18n import current_locale
from podium.translated import localized
from registration.documents.order_facts import Named, OrderFacts
from registration.links.tokens import order_secret, order_url, registration_url
from registration.models import Category, Eligibility, Order, OrderStatus, Registration, RegistrationStatus
from registration.orders.uploads import documents_of
from registration.orders.validation import CatalogView, load_catalog
from registration.payments.ledger import PaymentMoney, payment_money
from registration.payments.provider import PaymentProvider
from registration.schemas import AddOnLine, OrderRead, PaymentRecord, RegistrationRead


@dataclass(frozen=True, slots=True)
class Known:
    """What the view of one order needs besides the order: whoever just read or wrote it passes it along."""

    event_slug: str
    registrations: Sequence[Registration]
    categories: dict[UUID, Named]
    add_ons: dict[UUID, Named]
    payments: list[PaymentMoney]

    @classmethod
    def of_catalog(cls, event_slug: str, registrations: Sequence[Registration], catalog: CatalogView) -> Known:
        """An order just placed: priced with ``catalog``, no payment yet."""
        return cls(event_slug, registrations, *_names(catalog), payments=[])

    @classmethod
    def of_facts(cls, facts: OrderFacts, payments: list[PaymentMoney]) -> Known:
        """An order just confirmed (``orders.confirm_order``), with the payments it now has."""
        return cls(facts.event.slug, facts.registrations, facts.categories, facts.add_ons, payments)


def _names(catalog: CatalogView) -> tuple[dict[UUID, Named], dict[UUID, Named]]:
    categories = {c.id: Named(c.code, c.name, c.eligibility, c.translations) for c in catalog.categories.values()}
    return categories, {a.id: Named(a.code, a.name, translations=a.translations) for a in catalog.add_ons.values()}


async def _read_known(db_session: AsyncSession, order: Order) -> Known:
    """Everything ``Known`` holds, read for an order no change of this request touched."""
    event = await db_session.get(Event, order.event_id)
    if "registrations" not in inspect(order).unloaded:
        registrations: Sequence[Registration] = order.registrations
    else:
        query = select(Registration).where(Registration.order_id == order.id).order_by(Registration.position)
        registrations = (await db_session.scalars(query)).all()
    categories: dict[UUID, Named] = {}
    add_ons: dict[UUID, Named] = {}
    if event is not None:
        categories, add_ons = _names(await load_catalog(db_session, event))
    missing = {r.category_id for r in registrations} - categories.keys()
    if missing:  # a category deleted since (only possible for registrations no longer active)
        deleted = await db_session.scalars(select(Category).where(Category.id.in_(missing)))
        categories |= {c.id: Named(c.code, c.name, c.eligibility, c.translations) for c in deleted}
    payments = await payment_money(db_session, order.id)
    return Known(event.slug if event is not None else "", registrations, categories, add_ons, payments)


def _registration_read(
    registration: Registration, known: Known, documents: list[str], *, base_url: str, secret_key: str
) -> RegistrationRead:
    r = registration
    category = known.categories[r.category_id]
    locale = current_locale()  # names in the reader's language where the organizer gave them
    return RegistrationRead(
        id=r.id,
        status=RegistrationStatus(r.status),
        email=r.email,
        first_name=r.first_name,
        last_name=r.last_name,
        affiliation=r.affiliation,
        country=r.country,
        category_code=category.code,
        category_name=localized(category.name, category.translations, "name", locale),
        category_amount=r.category_amount,
        discount=r.discount_amount,
        add_ons=[
            AddOnLine(
                code=known.add_ons[a.add_on_id].code,
                name=localized(
                    known.add_ons[a.add_on_id].name, known.add_ons[a.add_on_id].translations, "name", locale
                ),
                amount=a.amount,
                discount=a.discount_amount,
            )
            for a in r.add_ons
        ],
        attendee_url=None if r.transferred_at else registration_url(base_url, secret_key, r.id, r.secret_version),
        transferred=r.transferred_at is not None,
        needs_verification=category.eligibility == Eligibility.VERIFICATION,
        verification_documents=documents,
    )


def _payment_record(money: PaymentMoney) -> PaymentRecord:
    payment = money.payment
    return PaymentRecord(
        id=payment.id,
        provider=payment.provider,
        provider_payment_id=payment.provider_payment_id,
        amount_captured=payment.amount_captured,
        currency=payment.currency,
        kept=payment.kept,
        amount_refunded=money.refunded,
        refund_pending=money.refund_pending,
        created_at=payment.created_at,
    )


async def order_read(
    db_session: AsyncSession,
    order: Order,
    *,
    secret_key: str,
    provider: PaymentProvider,
    base_url: str,
    known: Known | None = None,
) -> OrderRead:
    """The buyer's view of ``order``; ``known`` is what the change that just made it holds (read if None)."""
    if known is None:
        known = await _read_known(db_session, order)
    registrations = known.registrations
    verifying = [r.id for r in registrations if known.categories[r.category_id].eligibility == Eligibility.VERIFICATION]
    uploaded = await documents_of(db_session, verifying)
    money = known.payments
    return OrderRead(
        id=order.id,
        event=known.event_slug,
        status=OrderStatus(order.status),
        buyer_name=order.buyer_name,
        buyer_email=order.buyer_email,
        currency=order.currency,
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        total=order.total,
        hold_expires_at=order.hold_expires_at,
        paid_at=order.paid_at,
        created_at=order.created_at,
        registrations=[
            _registration_read(
                r,
                known,
                [d.filename for d in uploaded.get(r.id, [])],
                base_url=base_url,
                secret_key=secret_key,
            )
            for r in registrations
        ],
        payment=await provider.payment_for(db_session, order),
        secret=order_secret(secret_key, order.id, order.secret_version),
        order_url=order_url(base_url, secret_key, order.id, order.secret_version),
        amount_paid=sum(m.payment.amount_captured for m in money if m.payment.kept),
        amount_refunded=sum(m.refunded for m in money),
        payments=[_payment_record(m) for m in money],
    )
