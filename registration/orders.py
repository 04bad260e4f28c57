"""Placing orders with seat holds, confirming payment, reading orders by their secret link.

Each verb is one transaction. On SQLite it takes the write lock up front (``begin_write``), so contention
queues under busy_timeout instead of surfacing "database is locked"; the seat rules are in ``holds``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast
from uuid import UUID, uuid4

import asyncpg
import msgspec
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from events.models import Event
from events.services import get_event
from podium import rate_limits
from podium.audit_models import AuditEntry
from podium.auth.services import normalise_email
from podium.db import begin_autocommit, begin_write, utcnow
from podium.errors import Conflict, DomainError, NotFound
from podium.outbox_models import OutboxMessage
from registration import waitlist
from registration.audit import record, state_change
from registration.documents import record_documents
from registration.hold_release import release_holds_of
from registration.holds import (
    PROMO_USED_UP,
    end_pending,
    expire_holds,
    refusal,
    take_and_commit,
    visibly_short,
)
from registration.ledger import PaymentMoney, offline_payment_id, payment_money, record_payment
from registration.link_rule import open_order
from registration.links import order_secret, order_url, registration_url
from registration.mail import enqueue_confirmation_mail, order_held_message
from registration.models import (
    Category,
    Eligibility,
    Order,
    OrderQuota,
    OrderStatus,
    PromoCode,
    Registration,
    RegistrationAddOn,
    RegistrationStatus,
    WaitlistEntry,
)
from registration.order_facts import Named, OrderFacts, load_order_facts
from registration.order_limits import OrderGuard
from registration.order_snapshot import Snapshot, event_of, read_snapshot
from registration.order_validation import (
    CatalogView,
    CheckedAttendee,
    check_attendees,
    check_registration_open,
    find_promo,
    load_catalog,
    refuse_registered,
    seats_needed,
    sold_out,
    sold_out_error,
)
from registration.order_write import write_order
from registration.payment_provider import PaymentProvider
from registration.schemas import AddOnLine, OrderCreate, OrderRead, PaymentRecord, RegistrationRead
from registration.verification_documents import documents_of

DEFAULT_HOLD_MINUTES = 15
_PLACED_WITH = "podium.order_placed_with_catalog"
_CONFIRMED_WITH = "podium.order_confirmed_with_facts"
_PAID_WITH = "podium.order_paid_with_payments"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


def request_fingerprint(data: OrderCreate) -> str:
    return hashlib.sha256(msgspec.json.encode(data)).hexdigest()


# ---------------------------------------------------------------------------------------------- verbs


async def place_order(
    db_session: AsyncSession,
    *,
    event_slug: str,
    data: OrderCreate,
    provider: PaymentProvider,
    idempotency_key: str | None = None,
    actor: str = "buyer",
    now: dt.datetime | None = None,
    comp: bool = False,
    secret_key: str = "",
    guard: OrderGuard | None = None,
) -> tuple[Order, bool]:
    """Price the order on the server, hold every seat it needs, and return ``(order, created)``.

    The same Idempotency-Key with the same body returns the first order (``created`` False); with a
    different body it is refused. Free orders are confirmed at once. ``comp`` is the organizers' free
    registration: no eligibility proof, no price, no registration window; seats still count. A
    ``waitlist_claim`` in the body uses the seat its offer holds (``secret_key`` checks its token). ``guard``
    (the public routes') counts the client's rate limits and caps its unpaid holds (``order_limits``).
    An unpaid hold under an attendee's email is ended for them (``hold_release``); a paid one answers 409.
    """
    now = now or utcnow()
    await begin_write(db_session)
    # PostgreSQL: a new paid order is written by one statement that is atomic by itself (``order_write``),
    # so everything before it reads in autocommit. A waitlist claim locks its offer: it keeps a transaction.
    mode = _Autocommit(data.waitlist_claim is None and await begin_autocommit(db_session))
    try:
        if guard is not None:
            # One statement; in autocommit it has counted already, else it is committed now: a refused
            # order counts too.
            counts = await rate_limits.count(db_session, guard.limits, now)
            if not mode.on:
                await db_session.commit()
                await begin_write(db_session)
            rate_limits.refuse_over(counts, now)
        return await _place_order(
            db_session,
            mode,
            event_slug=event_slug,
            data=data,
            provider=provider,
            idempotency_key=idempotency_key,
            actor=actor,
            now=now,
            comp=comp,
            secret_key=secret_key,
            guard=guard,
        )
    finally:
        await mode.leave(db_session)  # the session goes on in ordinary transactions


@dataclass
class _Autocommit:
    """Whether the session still reads in autocommit (PostgreSQL, until an order's one statement)."""

    on: bool

    async def leave(self, db_session: AsyncSession) -> None:
        if self.on:
            self.on = False
            await db_session.commit()  # hands the connection back; nothing was written through the session


async def _place_order(
    db_session: AsyncSession,
    mode: _Autocommit,
    *,
    event_slug: str,
    data: OrderCreate,
    provider: PaymentProvider,
    idempotency_key: str | None,
    actor: str,
    now: dt.datetime,
    comp: bool,
    secret_key: str,
    guard: OrderGuard | None,
) -> tuple[Order, bool]:
    fingerprint = request_fingerprint(data)
    # One plain read for the event, its catalog's fingerprint and every collision (see ``order_snapshot``):
    # in a rush the usual answer is a refusal, given before writing anything or waiting for a row lock.
    found = await read_snapshot(
        db_session,
        slug=event_slug,
        idempotency_key=idempotency_key,
        emails=[normalise_email(a.email) for a in data.attendees],
        now=now,
        buyer_email=normalise_email(data.buyer_email),
        client_address=guard.client_address if guard is not None else None,
    )
    event = await event_of(db_session, event_slug, found, published_only=not comp)
    if found.replay is not None:
        return await _replay(db_session, found.replay, fingerprint), False
    if guard is not None:
        guard.refuse_too_many_holds(found, now)
    catalog, promo, attendees, offer = await _checked(
        db_session, event, found, data, now, comp=comp, secret_key=secret_key
    )
    needs = seats_needed(attendees, catalog)
    to_take = waitlist.held_by(offer, needs) if offer else needs
    promo_uses = sum(1 for a in attendees if a.quote.promo_used)
    subtotal = sum(a.quote.subtotal for a in attendees)
    discount = sum(a.quote.discount for a in attendees)

    short = found.first_short(to_take)
    # Unpaid holds under these people's emails end in this order's transaction (``hold_release``).
    held = {a.email: found.held[a.email] for a in attendees if a.email in found.held}
    in_one_statement = mode.on and short is None and subtotal > discount and not held
    if not in_one_statement:
        await mode.leave(db_session)  # back to a transaction: freeing holds, or confirming a free order
    free_stale_holds = functools.partial(_free_stale_holds, db_session, now, event.id)
    if held or short is not None:
        await _make_room(
            db_session, found, held, short, to_take, attendees, catalog, free_stale_holds, event, data, actor
        )

    order, placed, changes, mails = _new_order(
        event,
        data,
        attendees,
        subtotal=subtotal,
        discount=discount,
        hold_minutes=catalog.hold_minutes,
        fingerprint=fingerprint,
        idempotency_key=idempotency_key,
        promo=promo,
        promo_uses=promo_uses,
        provider=provider,
        client_address=guard.client_address if guard is not None else None,
        actor=actor,
        now=now,
    )
    # No wake-up for it: the mail is due a little later (``order_held_message``), and the periodic mail job sends it.
    # The response shows what was just written: keep it at hand instead of reading it back.
    set_committed_value(order, "registrations", placed)
    db_session.info[_PLACED_WITH] = (order.id, event.slug, catalog)
    if in_one_statement:
        try:
            await write_order(
                db_session,
                order=order,
                registrations=placed,
                taken=to_take,
                changes=changes,
                mails=mails,
                promo=promo,
                promo_uses=promo_uses,
                now=now,
            )
        except asyncpg.UniqueViolationError as exc:
            return await _after_insert_race(db_session, event_slug, idempotency_key, fingerprint, exc)
        except asyncpg.CheckViolationError as exc:
            await _refuse(db_session, await refusal(db_session, exc, to_take), attendees, catalog)
        return order, True

    db_session.add(order)
    db_session.add_all([*placed, *changes, *mails])
    db_session.add_all(OrderQuota(order_id=order.id, quota_id=q, count=n) for q, n in needs.items())
    try:
        # Rows first (a duplicate person or Idempotency-Key fails here, before any lock is taken) ...
        await db_session.flush()
    except IntegrityError as exc:
        await db_session.rollback()
        return await _after_insert_race(db_session, event_slug, idempotency_key, fingerprint, exc)
    await _claim_and_confirm(db_session, order, offer, actor, now)
    try:
        # ... then the contested counters, as late as possible so their row locks are held the least.
        refused = await take_and_commit(
            db_session, to_take, promo=promo, promo_uses=promo_uses, on_shortage=free_stale_holds
        )
    except IntegrityError as exc:
        await db_session.rollback()
        return await _after_insert_race(db_session, event_slug, idempotency_key, fingerprint, exc)
    if refused is not None:
        await _refuse(db_session, refused, attendees, catalog)
    return order, True


async def _checked(
    db_session: AsyncSession,
    event: Event,
    found: Snapshot,
    data: OrderCreate,
    now: dt.datetime,
    *,
    comp: bool,
    secret_key: str,
) -> tuple[CatalogView, PromoCode | None, list[CheckedAttendee], WaitlistEntry | None]:
    """The request checked against the event's rules (open, catalog, promo code, people already registered or
    queued for the same items); the catalog, promo, priced attendees and the waitlist offer it claims."""
    if not comp:
        check_registration_open(event, now)
    catalog = await load_catalog(db_session, event, found.catalog_stamp)
    promo = None if comp else await find_promo(db_session, event, data.promo_code, now)
    attendees = check_attendees(data, catalog, event, promo, now, comp=comp)
    refuse_registered(attendees, found.registered)
    offer = None
    if data.waitlist_claim is not None:
        offer = await waitlist.offer_for_claim(db_session, event, data.waitlist_claim, secret_key, now)
    if not comp:
        claimed_item = (offer.category_id or offer.add_on_id) if offer else None
        waitlist.refuse_queued_items(attendees, found.queued, claimed_item)
    return catalog, promo, attendees, offer


async def _free_stale_holds(db_session: AsyncSession, now: dt.datetime, event_id: UUID) -> bool:
    """End the event's unpaid holds that ran out; whether any did (their seats are free again)."""
    return await expire_holds(db_session, now=now, event_id=event_id, commit=False) > 0


async def _make_room(
    db_session: AsyncSession,
    found: Snapshot,
    held: dict[str, UUID],
    short: UUID | None,
    to_take: dict[UUID, int],
    attendees: Sequence[CheckedAttendee],
    catalog: CatalogView,
    free_stale_holds: Callable[[], Awaitable[bool]],
    event: Event,
    data: OrderCreate,
    actor: str,
) -> None:
    """End these people's own unpaid holds and, when seats are short, the event's holds that ran out; refuse
    the order (rolled back, sold out) if that still leaves too few seats."""
    if held:
        await release_holds_of(
            db_session, held, event=event, new_buyer_email=normalise_email(data.buyer_email), actor=actor
        )
        if short is not None:  # the released holds gave seats back
            short = await visibly_short(db_session, to_take)
    if short is not None and found.stale_holds and await free_stale_holds():
        # Unpaid holds ran out: what they gave back may be enough.
        short = await visibly_short(db_session, to_take)
        if short is not None:
            error = await sold_out_error(db_session, short, attendees, catalog)
            await db_session.rollback()
            raise error
    elif short is not None:
        name, left = found.seats_left.get(short, ("", 0))
        await db_session.rollback()
        raise sold_out(short, name, left, attendees, catalog)


def _new_order(
    event: Event,
    data: OrderCreate,
    attendees: Sequence[CheckedAttendee],
    *,
    subtotal: int,
    discount: int,
    hold_minutes: int,
    fingerprint: str,
    idempotency_key: str | None,
    promo: PromoCode | None,
    promo_uses: int,
    provider: PaymentProvider,
    client_address: str | None,
    actor: str,
    now: dt.datetime,
) -> tuple[Order, list[Registration], list[AuditEntry], list[OutboxMessage]]:
    """The order, its registrations, their audit entries and the buyer's "pay by" mail, not yet written."""
    order = Order(
        id=uuid4(),
        event_id=event.id,
        status=OrderStatus.PENDING.value,
        buyer_name=data.buyer_name.strip(),
        buyer_email=normalise_email(data.buyer_email),
        currency=event.currency,
        subtotal=subtotal,
        discount_total=discount,
        total=subtotal - discount,
        hold_expires_at=now + dt.timedelta(minutes=hold_minutes),
        secret_version=1,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        promo_code_id=promo.id if promo else None,
        promo_uses=promo_uses,
        payment_provider=provider.name,
        client_address=client_address,
    )
    changes = [state_change("order", order.id, None, OrderStatus.PENDING, actor, event_id=event.id)]
    placed: list[Registration] = []
    for attendee in attendees:
        registration_id = uuid4()
        placed.append(
            Registration(
                id=registration_id,
                order_id=order.id,
                event_id=event.id,
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
                category_amount=attendee.quote.category.amount,
                discount_amount=attendee.quote.category.discount,
                add_ons=[
                    RegistrationAddOn(
                        registration_id=registration_id,
                        add_on_id=a.id,
                        amount=line.amount,
                        discount_amount=line.discount,
                    )
                    for a, line in zip(attendee.add_ons, attendee.quote.add_ons, strict=True)
                ],
            )
        )
        changes.append(
            state_change("registration", registration_id, None, RegistrationStatus.HELD, actor, event_id=event.id)
        )
    # The buyer's "pay by …" mail is written with the order (a free order is confirmed at once instead).
    mails = (
        [
            order_held_message(
                event,
                order,
                placed,
                {a.category.id: a.category.name for a in attendees},
                {x.id: x.name for a in attendees for x in a.add_ons},
            )
        ]
        if order.total > 0
        else []
    )
    return order, placed, changes, mails


async def _refuse(
    db_session: AsyncSession, refused: UUID | str, attendees: Sequence[CheckedAttendee], catalog: CatalogView
) -> NoReturn:
    """Say why the counters refused a new order: its promo code ran out, or which quota did."""
    if refused == PROMO_USED_UP:
        raise Conflict("this promo code has been used up", field="promo_code", code="promo_exhausted")
    raise await sold_out_error(db_session, cast(UUID, refused), attendees, catalog)


async def _claim_and_confirm(
    db_session: AsyncSession, order: Order, offer: WaitlistEntry | None, actor: str, now: dt.datetime
) -> None:
    """What a placed order does besides holding seats: use its waitlist offer; confirm it if it is free."""
    if offer is not None:
        try:
            await waitlist.mark_claimed(db_session, offer, actor)
        except Conflict:
            await db_session.rollback()
            raise
    if order.total == 0:
        order.payment_provider = "none"
        await confirm_order(db_session, order, actor=actor, now=now, note="nothing to pay")


async def _by_idempotency_key(db_session: AsyncSession, event: Event, key: str, fingerprint: str) -> Order | None:
    existing = await db_session.scalar(select(Order).where(Order.event_id == event.id, Order.idempotency_key == key))
    if existing is not None and existing.request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different order",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return existing


async def _replay(db_session: AsyncSession, replay: tuple[UUID, str], fingerprint: str) -> Order:
    order_id, request_hash = replay
    if request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different order",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    order = await db_session.get(Order, order_id)
    if order is None:  # deleted since (its event went with it): as if the key were new
        raise NotFound("no such order", field="Idempotency-Key")
    return order


async def _after_insert_race(
    db_session: AsyncSession, event_slug: str, key: str | None, fingerprint: str, exc: Exception
) -> tuple[Order, bool]:
    """A concurrent twin won the race: the same Idempotency-Key (return its order) or the same person."""
    if key:
        event = await get_event(db_session, event_slug)
        existing = await _by_idempotency_key(db_session, event, key, fingerprint)
        if existing is not None:
            return existing, False
    raise Conflict(
        "someone in this order is already registered for this event", field="attendees", code="already_registered"
    ) from exc


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
    order is read once (``order_facts``) for the change, its receipt and its mail; returned, and kept for the
    response (``order_read``), which then reads nothing either.
    """
    previous = order.status
    facts = await load_order_facts(db_session, order)
    order.status = OrderStatus.PAID.value
    order.paid_at = now
    order.hold_expires_at = None
    event_id = order.event_id
    record(db_session, "order", order.id, previous, OrderStatus.PAID, actor, note, event_id=event_id)
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
    db_session.info[_CONFIRMED_WITH] = (order.id, facts)
    return facts


async def pay_offline(
    db_session: AsyncSession,
    *,
    order_id: UUID,
    secret: str | None,
    secret_key: str,
    production: bool,
    now: dt.datetime | None = None,
) -> Order:
    """The offline pay button for a caller holding the order's link (``link_rule`` opens it)."""
    await begin_write(db_session)
    order = await open_order(db_session, order_id, secret=secret, secret_key=secret_key, for_update=True)
    return await confirm_offline_payment(db_session, order, production=production, now=now)


async def confirm_offline_payment(
    db_session: AsyncSession, order: Order, *, production: bool, now: dt.datetime | None = None
) -> Order:
    """The offline test provider's "payment": confirms a pending order whose hold is still valid.

    ``order`` was read with its row locked in this transaction (``open_order(for_update=True)``), so racing
    payments of one order wait for each other and see each other's (one payment, one receipt, one mail)."""
    if production:
        raise Forbidden(
            "the offline test provider is disabled in production", code="offline_payments_disabled", field="provider"
        )
    now = now or utcnow()
    await begin_write(db_session)
    if order.payment_provider != "offline":
        raise Conflict(
            "this order is not paid through the offline test provider", code="wrong_provider", field="provider"
        )
    if order.status == OrderStatus.PAID:
        return order
    if order.status == OrderStatus.PENDING and order.hold_expires_at and order.hold_expires_at <= now:
        await end_pending(db_session, order.id, OrderStatus.EXPIRED, actor="system", note="hold expired")
        await db_session.commit()
        raise Conflict(
            "the hold on these seats expired; please place the order again", code="hold_expired", field="order"
        )
    if order.status != OrderStatus.PENDING:
        raise Conflict(f"the order is {order.status}", code=f"order_{order.status}", field="order")
    payment = record_payment(
        db_session,
        order,
        provider="offline",
        provider_payment_id=offline_payment_id(order.id),
        amount=order.total,
        currency=order.currency,
        kept=True,
    )
    await confirm_order(db_session, order, actor=f"buyer:{order.buyer_email}", now=now, note="offline test payment")
    await db_session.commit()
    # The response shows this payment: an offline order has no other (one id per order), nor refunds yet.
    db_session.info[_PAID_WITH] = (order.id, [PaymentMoney(payment, refunded=0, refund_pending=0)])
    return order


def _known(db_session: AsyncSession, key: str, order: Order) -> tuple[Any, ...] | None:
    """What a change of ``order`` left in the session's info for its response (popped: used once)."""
    known = db_session.info.pop(key, None)
    return known if known is not None and known[0] == order.id else None


async def order_read(
    db_session: AsyncSession, order: Order, *, secret_key: str, provider: PaymentProvider, base_url: str
) -> OrderRead:
    """The buyer's view of an order, with the secret link and what to do about payment.

    Right after placing or paying it, what the change read and wrote is at hand (``_PLACED_WITH``,
    ``_CONFIRMED_WITH``, ``_PAID_WITH`` in the session's info, for this order only): nothing is read again."""
    placed_with = _known(db_session, _PLACED_WITH, order)
    confirmed_with = _known(db_session, _CONFIRMED_WITH, order)
    paid_with = _known(db_session, _PAID_WITH, order)
    facts: OrderFacts | None = confirmed_with[1] if confirmed_with is not None else None
    event: Event | None = None
    if facts is not None:
        event_slug = facts.event.slug
    elif placed_with is not None:
        event_slug = placed_with[1]
    else:
        event = await db_session.get(Event, order.event_id)
        event_slug = event.slug if event is not None else ""
    if facts is not None:
        registrations: Sequence[Registration] = facts.registrations
    elif "registrations" not in inspect(order).unloaded:
        registrations = order.registrations
    else:
        registrations = (
            await db_session.scalars(
                select(Registration).where(Registration.order_id == order.id).order_by(Registration.position)
            )
        ).all()
    categories: dict[UUID, Named]
    add_ons: dict[UUID, Named]
    if facts is not None:
        categories, add_ons = facts.categories, facts.add_ons
    else:
        if placed_with is not None:
            catalog = placed_with[2]  # what the order was just priced with
        else:
            assert event is not None
            catalog = await load_catalog(db_session, event)
        categories = {c.id: Named(c.code, c.name, c.eligibility) for c in catalog.categories.values()}
        add_ons = {a.id: Named(a.code, a.name) for a in catalog.add_ons.values()}
        missing = {r.category_id for r in registrations} - categories.keys()
        if missing:  # a category deleted since (only possible for registrations no longer active)
            deleted = await db_session.scalars(select(Category).where(Category.id.in_(missing)))
            categories |= {c.id: Named(c.code, c.name, c.eligibility) for c in deleted}
    secret = order_secret(secret_key, order.id, order.secret_version)
    verifying = [r.id for r in registrations if categories[r.category_id].eligibility == Eligibility.VERIFICATION]
    uploaded = await documents_of(db_session, verifying)
    # An order just placed has no payment yet, one just paid offline the one it was paid with.
    if paid_with is not None:
        money: list[PaymentMoney] = paid_with[1]
    elif placed_with is not None:
        money = []
    else:
        money = await payment_money(db_session, order.id)
    return OrderRead(
        id=order.id,
        event=event_slug or "",
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
            RegistrationRead(
                id=r.id,
                status=RegistrationStatus(r.status),
                email=r.email,
                first_name=r.first_name,
                last_name=r.last_name,
                affiliation=r.affiliation,
                country=r.country,
                category_code=categories[r.category_id].code,
                category_name=categories[r.category_id].name,
                category_amount=r.category_amount,
                discount=r.discount_amount,
                add_ons=[
                    AddOnLine(
                        code=add_ons[a.add_on_id].code,
                        name=add_ons[a.add_on_id].name,
                        amount=a.amount,
                        discount=a.discount_amount,
                    )
                    for a in r.add_ons
                ],
                attendee_url=(
                    None if r.transferred_at else registration_url(base_url, secret_key, r.id, r.secret_version)
                ),
                transferred=r.transferred_at is not None,
                needs_verification=categories[r.category_id].eligibility == Eligibility.VERIFICATION,
                verification_documents=[d.filename for d in uploaded.get(r.id, [])],
            )
            for r in registrations
        ],
        payment=await provider.payment_for(db_session, order),
        secret=secret,
        order_url=order_url(base_url, secret_key, order.id, order.secret_version),
        amount_paid=sum(m.payment.amount_captured for m in money if m.payment.kept),
        amount_refunded=sum(m.refunded for m in money),
        payments=[
            PaymentRecord(
                id=m.payment.id,
                provider=m.payment.provider,
                provider_payment_id=m.payment.provider_payment_id,
                amount_captured=m.payment.amount_captured,
                currency=m.payment.currency,
                kept=m.payment.kept,
                amount_refunded=m.refunded,
                refund_pending=m.refund_pending,
                created_at=m.payment.created_at,
            )
            for m in money
        ],
    )
