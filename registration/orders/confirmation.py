"""Confirming an order's payment: the confirmation every payment path uses, and the offline test provider's.

Placing an order is ``order_placing``; its response is ``orders.view``.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write, utcnow
from podium.errors import Conflict, DomainError
from podium.i18n import N_, gettext
from registration.audit.services import record
from registration.documents.order_facts import OrderFacts, load_order_facts, open_order_to_pay
from registration.documents.services import record_documents
from registration.mail.services import enqueue_confirmation_mail
from registration.models import Eligibility, Order, OrderStatus, RegistrationStatus
from registration.orders.group_shares import LeftBecause, leave_group_invoice
from registration.orders.holds import end_pending
from registration.orders.view import Known
from registration.payments.ledger import PaymentMoney, offline_payment_id, record_payment
from registration.status_words import status_word


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"
    title = N_("Forbidden")


class HoldExpired(Conflict):
    """A payment that came after its hold ran out. Finding that out ended the hold (the order expired, its seats
    went back): a change the owner of the transaction commits before it answers with this refusal."""

    code = "hold_expired"


async def confirm_order(
    db_session: AsyncSession,
    order: Order,
    *,
    actor: str,
    now: dt.datetime,
    note: str = "",
    registrations_from: RegistrationStatus = RegistrationStatus.HELD,
) -> OrderFacts:
    """→ paid; each of its registrations becomes confirmed, or awaits verification by an organizer.

    The caller holds the order (write lock on SQLite, ``FOR UPDATE`` on PostgreSQL) so this runs once. The
    order is read once (``order_facts``) for the change, its receipt and its mail, and returned for the
    response (``orders.view.Known.of_facts``), which then reads nothing either.
    """
    previous = order.status
    facts = await load_order_facts(db_session, order)
    order.status = OrderStatus.PAID.value
    order.paid_at = now
    order.hold_expires_at = None
    event_id = order.event_id
    record(db_session, "order", order.id, previous, OrderStatus.PAID, actor, note, event_id=event_id)
    if order.payment_due_at is not None:  # only an order paid by transfer or invoiced has one: no query for the rest
        await leave_group_invoice(db_session, order, actor=actor, because=LeftBecause.PAID)
    for registration in facts.registrations:
        if registration.status != registrations_from:
            continue
        target = (
            RegistrationStatus.AWAITING_VERIFICATION
            if facts.categories[registration.category_id].eligibility == Eligibility.VERIFICATION
            else RegistrationStatus.CONFIRMED
        )
        registration.status = target.value
        record(db_session, "registration", registration.id, registrations_from, target, actor, note, event_id=event_id)
    # The receipt is recorded pending; its number comes after commit (``documents.record_documents``).
    receipt = (
        await record_documents(db_session, order, reason="payment", now=now, locked=True, first=True, facts=facts)
        if order.total > 0
        else []
    )
    await enqueue_confirmation_mail(
        db_session, order, facts, has_receipt=bool(receipt), late=previous == OrderStatus.EXPIRED
    )
    return facts


async def pay_offline(
    db_session: AsyncSession,
    *,
    order_id: UUID,
    secret: str | None,
    secret_key: str,
    production: bool,
    now: dt.datetime | None = None,
) -> tuple[Order, Known | None]:
    """The offline pay button for a caller holding the order's link (``link_rule`` opens it)."""
    await begin_write(db_session)
    order = await open_order_to_pay(db_session, order_id, secret=secret, secret_key=secret_key)
    return await confirm_offline_payment(db_session, order, production=production, now=now)


async def confirm_offline_payment(
    db_session: AsyncSession, order: Order, *, production: bool, now: dt.datetime | None = None
) -> tuple[Order, Known | None]:
    """The offline test provider's "payment": confirms a pending order whose hold is still valid; with what
    its response needs when this call paid it (``orders.view.Known``). The caller commits, also when refused
    with ``HoldExpired``.

    ``order`` was read with its row locked in this transaction (``open_order_to_pay``), so racing
    payments of one order wait for each other and see each other's (one payment, one receipt, one mail)."""
    if production:
        raise Forbidden(
            N_("the offline test provider is disabled in production"),
            code="offline_payments_disabled",
            field="provider",
        )
    now = now or utcnow()
    await begin_write(db_session)
    if order.payment_provider != "offline":
        raise Conflict(
            N_("this order is not paid through the offline test provider"), code="wrong_provider", field="provider"
        )
    if order.status == OrderStatus.PAID:
        return order, None
    if order.status == OrderStatus.PENDING and order.hold_expires_at and order.hold_expires_at <= now:
        await end_pending(db_session, order.id, OrderStatus.EXPIRED, actor="system", note="hold expired")
        raise HoldExpired(N_("the hold on these seats expired; please place the order again"), field="order")
    if order.status != OrderStatus.PENDING:
        raise Conflict(
            gettext("the order is %(status)s") % {"status": status_word(order.status)},
            code=f"order_{order.status}",
            field="order",
        )
    actor = f"buyer:{order.buyer_email}"
    facts = await confirm_order(db_session, order, actor=actor, now=now, note="offline test payment")
    # Recorded after the confirmation read the order, which then had nothing to flush first: the payment is
    # written with the confirmation's other rows (one statement on PostgreSQL, ``podium.db_flush``).
    payment = record_payment(
        db_session,
        order,
        provider="offline",
        provider_payment_id=offline_payment_id(order.id),
        amount=order.total,
        currency=order.currency,
        kept=True,
    )
    # The response shows this payment: an offline order has no other (one id per order), nor refunds yet.
    return order, Known.of_facts(facts, [PaymentMoney(payment, refunded=0, refund_pending=0)])
