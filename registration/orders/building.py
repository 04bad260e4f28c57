"""A new order's rows, built in memory from the checked request before anything is written.

Both ways of writing an order (the ORM's flush, or ``orders.write``'s one statement on PostgreSQL) write these
same objects, so what a new order is (its columns, audit trail, when its mail falls due and the seats it holds) is
decided here once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from events.models import Event
from podium.auth.services import normalise_email
from registration.audit.services import state_change
from registration.mail.services import held_mail_due
from registration.models import (
    Order,
    OrderQuota,
    OrderStatus,
    PromoCode,
    Registration,
    RegistrationAddOn,
    RegistrationStatus,
    StateChange,
)
from registration.orders.validation import CheckedAttendee
from registration.schemas import OrderCreate


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A new order's rows and the counters it moves: ``taken`` seats (a waitlist offer may hold some of the
    ``quotas`` already) and ``promo_uses`` of ``promo``."""

    order: Order
    registrations: list[Registration]
    quotas: list[OrderQuota]
    changes: list[StateChange]
    taken: dict[UUID, int]
    promo: PromoCode | None
    promo_uses: int

    def rows(self) -> list[object]:
        """Every row to add to the session (a registration's add-ons go with it)."""
        return [self.order, *self.registrations, *self.quotas, *self.changes]


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who places the order and how (the request's parts that aren't its body)."""

    fingerprint: str
    idempotency_key: str | None
    provider_name: str
    client_address: str | None
    actor: str
    locale: str  # the request's (``podium.i18n``): the order and its registrations keep it for their mails
    time_zone: str | None = None  # the request's (``podium.reader_zone``), kept the same way


def build_order(
    event: Event,
    data: OrderCreate,
    attendees: Sequence[CheckedAttendee],
    buyer: Buyer,
    *,
    needs: dict[UUID, int],
    taken: dict[UUID, int],
    promo: PromoCode | None,
    hold_minutes: int,
    now: dt.datetime,
) -> NewOrder:
    """The order, its registrations, the seats it holds and their audit entries. An order with something to pay
    is due its "pay by" mail a little later, if still unpaid then (``held_mail_due``; a free one is confirmed at
    once instead)."""
    subtotal = sum(a.quote.subtotal for a in attendees)
    discount = sum(a.quote.discount for a in attendees)
    promo_uses = sum(1 for a in attendees if a.quote.promo_used)
    total = subtotal - discount
    hold_expires_at = now + dt.timedelta(minutes=hold_minutes)
    order = Order(
        id=uuid4(),
        event_id=event.id,
        status=OrderStatus.PENDING.value,
        buyer_name=data.buyer_name.strip(),
        buyer_email=normalise_email(data.buyer_email),
        currency=event.currency,
        subtotal=subtotal,
        discount_total=discount,
        total=total,
        hold_expires_at=hold_expires_at,
        held_mail_due_at=held_mail_due(hold_expires_at, now) if total > 0 else None,
        secret_version=1,
        idempotency_key=buyer.idempotency_key,
        request_hash=buyer.fingerprint,
        promo_code_id=promo.id if promo else None,
        promo_uses=promo_uses,
        payment_provider=buyer.provider_name,
        client_address=buyer.client_address,
        locale=buyer.locale,
        time_zone=buyer.time_zone,
    )
    registrations = [_registration(order, attendee) for attendee in attendees]
    changes = [
        state_change("order", order.id, None, OrderStatus.PENDING, buyer.actor, event_id=event.id),
        *(
            state_change("registration", r.id, None, RegistrationStatus.HELD, buyer.actor, event_id=event.id)
            for r in registrations
        ),
    ]
    quotas = [
        OrderQuota(order_id=order.id, quota_id=q, count=n) for q, n in sorted(needs.items(), key=lambda i: str(i[0]))
    ]
    return NewOrder(order, registrations, quotas, changes, taken, promo, promo_uses)


def _registration(order: Order, attendee: CheckedAttendee) -> Registration:
    registration_id = uuid4()
    return Registration(
        id=registration_id,
        order_id=order.id,
        event_id=order.event_id,
        category_id=attendee.category.id,
        position=attendee.index,
        status=RegistrationStatus.HELD.value,
        email=attendee.email,
        first_name=attendee.data.first_name.strip(),
        last_name=attendee.data.last_name.strip(),
        affiliation=attendee.data.affiliation.strip(),
        country=attendee.data.country,
        member_number=attendee.data.member_number,
        verification_note=attendee.data.verification_note,
        answers=dict(attendee.data.answers),
        locale=order.locale,
        time_zone=order.time_zone,
        category_amount=attendee.quote.category.amount,
        discount_amount=attendee.quote.category.discount,
        add_ons=[
            RegistrationAddOn(
                registration_id=registration_id, add_on_id=a.id, amount=line.amount, discount_amount=line.discount
            )
            for a, line in zip(attendee.add_ons, attendee.quote.add_ons, strict=True)
        ],
    )
