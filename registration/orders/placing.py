"""Placing an order: check it, hold every seat it needs, and write it by the one write path.

The order is built once (``orders.building``) and written one of two ways, both in the caller's transaction:
the portable way (the ORM's flush, then the counters by ``holds.take_counters``), or, on PostgreSQL when the
caller runs the request in autocommit and the order is a plain paid one, ``orders.write``'s one statement,
generated from the same tables and the same counter rule and atomic by itself. Nothing here commits or rolls
back: the caller owns the transaction (``registration.controllers.place_and_commit``). On SQLite the write lock
is taken up front (``begin_write``), so contention queues under busy_timeout instead of failing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NoReturn, cast
from uuid import UUID

import asyncpg
import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from events.models import Event
from events.services import get_event
from podium import rate_limits
from podium.auth.services import normalise_email
from podium.db import begin_write, end_reads, utcnow
from podium.errors import Conflict, NotFound
from podium.i18n import N_, current_locale
from podium.reader_zone import current_reader_zone
from registration.models import Order, PromoCode, WaitlistEntry
from registration.orders import waitlist_claims
from registration.orders.building import Buyer, NewOrder, build_order
from registration.orders.confirmation import confirm_order
from registration.orders.hold_release import release_holds_of
from registration.orders.holds import PROMO_USED_UP, expire_holds, refusal, take_counters, visibly_short
from registration.orders.limits import OrderGuard
from registration.orders.snapshot import Snapshot, event_of, read_snapshot
from registration.orders.validation import (
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
from registration.orders.view import Known
from registration.orders.write import write_order
from registration.payments.provider import PaymentProvider
from registration.schemas import OrderCreate


@dataclass(frozen=True, slots=True)
class Placed:
    """The order and whether this request created it (False: the Idempotency-Key's first order); ``known`` is
    what its response needs (``orders.view``), at hand when it was just written."""

    order: Order
    created: bool
    known: Known | None = None


@dataclass(frozen=True, slots=True)
class _Checked:
    """The request checked against the event's rules."""

    event: Event
    found: Snapshot
    catalog: CatalogView
    promo: PromoCode | None
    attendees: list[CheckedAttendee]
    offer: WaitlistEntry | None


def request_fingerprint(data: OrderCreate) -> str:
    return hashlib.sha256(msgspec.json.encode(data)).hexdigest()


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
    autocommit: bool = False,
    count_limits: bool = False,
) -> Placed:
    """Price the order on the server and hold every seat it needs.

    The same Idempotency-Key with the same body returns the first order (``created`` False); with a
    different body it is refused. Free orders are confirmed at once. ``comp`` is the organizers' free
    registration: no eligibility proof, no price, no registration window; seats still count. A
    ``waitlist_claim`` in the body uses the seat its offer holds (``secret_key`` checks its token). ``guard``
    (the public routes') caps the client's unpaid holds (``orders.limits``; its rate limits are the caller's).
    An unpaid hold under an attendee's email is ended for them (``hold_release``); a paid one answers 409.
    ``autocommit``: the caller runs the session in PostgreSQL's autocommit (``begin_autocommit``), so a plain
    paid order is written by one statement that commits by itself; any other order ends that mode, having
    only read, and is written in an ordinary transaction the caller commits. ``count_limits`` (autocommit
    only): the first read counts the ``guard``'s rate limits too, committed by that statement whatever follows,
    and refuses the order over them before anything else.
    """
    now = now or utcnow()
    if autocommit and data.waitlist_claim is not None:
        await end_reads(db_session)  # a claim locks its offer until commit: it needs a transaction from here
        autocommit = False
    await begin_write(db_session)
    fingerprint = request_fingerprint(data)
    client_address = guard.client_address if guard is not None else None
    counting = rate_limits.Counting.of(guard.limits, now) if count_limits and guard is not None else None
    found = await _snapshot(db_session, event_slug, data, idempotency_key, client_address, now, counting)
    if counting is not None:
        rate_limits.refuse_over(counting.counts(found.counted), now)
    event = await event_of(db_session, event_slug, found, published_only=not comp)
    if found.replay is not None:
        return Placed(await _replay(db_session, found.replay, fingerprint), created=False)
    if guard is not None:
        guard.refuse_too_many_holds(found, now)
    checked = await _checked(db_session, event, found, data, now, comp=comp, secret_key=secret_key)
    buyer = Buyer(
        fingerprint, idempotency_key, provider.name, client_address, actor, current_locale(), current_reader_zone()
    )
    new = _build(checked, data, buyer, now)
    # The response shows what was just written: keep it at hand instead of reading it back.
    set_committed_value(new.order, "registrations", new.registrations)
    known = Known.of_catalog(event.slug, new.registrations, checked.catalog)
    # Unpaid holds under these people's emails end in this order's transaction (``hold_release``).
    held = {a.email: found.held[a.email] for a in checked.attendees if a.email in found.held}
    short = found.first_short(new.taken)
    if autocommit and short is None and new.order.total > 0 and not held:
        return await _write_in_one_statement(db_session, new, checked, known, event_slug, now)
    if autocommit:
        await end_reads(db_session)  # back to a transaction: freeing holds, or confirming a free order
    return await _write_in_transaction(db_session, new, checked, known, held, short, event_slug, data, actor, now)


async def _snapshot(
    db_session: AsyncSession,
    event_slug: str,
    data: OrderCreate,
    idempotency_key: str | None,
    client_address: str | None,
    now: dt.datetime,
    counting: rate_limits.Counting | None = None,
) -> Snapshot:
    """One plain read for the event, its catalog's fingerprint and every collision (see ``orders.snapshot``):
    in a rush the usual answer is a refusal, given before writing anything or waiting for a row lock."""
    return await read_snapshot(
        db_session,
        slug=event_slug,
        idempotency_key=idempotency_key,
        emails=[normalise_email(a.email) for a in data.attendees],
        now=now,
        buyer_email=normalise_email(data.buyer_email),
        client_address=client_address,
        counting=counting,
    )


def _build(checked: _Checked, data: OrderCreate, buyer: Buyer, now: dt.datetime) -> NewOrder:
    """The order's rows; the seats a claimed waitlist offer holds already are not taken again."""
    needs = seats_needed(checked.attendees, checked.catalog)
    return build_order(
        checked.event,
        data,
        checked.attendees,
        buyer,
        needs=needs,
        taken=waitlist_claims.held_by(checked.offer, needs) if checked.offer else needs,
        promo=checked.promo,
        hold_minutes=checked.catalog.hold_minutes,
        now=now,
    )


async def _write_in_one_statement(
    db_session: AsyncSession, new: NewOrder, checked: _Checked, known: Known, event_slug: str, now: dt.datetime
) -> Placed:
    """PostgreSQL, autocommit: the order and its counters in ``orders.write``'s one statement."""
    try:
        await write_order(db_session, new, now=now)
    except asyncpg.UniqueViolationError as exc:
        return await _after_insert_race(db_session, event_slug, new.order, exc)
    except asyncpg.CheckViolationError as exc:
        await _refuse(db_session, await refusal(db_session, exc, new.taken), checked)
    return Placed(new.order, created=True, known=known)


async def _write_in_transaction(
    db_session: AsyncSession,
    new: NewOrder,
    checked: _Checked,
    known: Known,
    held: dict[str, UUID],
    short: UUID | None,
    event_slug: str,
    data: OrderCreate,
    actor: str,
    now: dt.datetime,
) -> Placed:
    """The portable path: the rows through the ORM, then the counters, all in the caller's transaction."""
    free_stale_holds = functools.partial(_free_stale_holds, db_session, now, checked.event.id)
    try:
        # In a savepoint, so a duplicate person or Idempotency-Key (failing here, before any counter's lock is
        # taken) undoes only this order's rows and the holds it ended, and the twin can still be read.
        async with db_session.begin_nested():
            if held or short is not None:
                await _make_room(db_session, checked, held, short, new.taken, free_stale_holds, data, actor)
            db_session.add_all(new.rows())
    except IntegrityError as exc:
        return await _after_insert_race(db_session, event_slug, new.order, exc)
    await _claim_and_confirm(db_session, new.order, checked.offer, actor, now)
    # The contested counters last, so their row locks are held the least.
    refused = await take_counters(
        db_session, new.taken, promo=new.promo, promo_uses=new.promo_uses, now=now, on_shortage=free_stale_holds
    )
    if refused is not None:
        await _refuse(db_session, refused, checked)
    return Placed(new.order, created=True, known=known)


async def _checked(
    db_session: AsyncSession,
    event: Event,
    found: Snapshot,
    data: OrderCreate,
    now: dt.datetime,
    *,
    comp: bool,
    secret_key: str,
) -> _Checked:
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
        offer = await waitlist_claims.offer_for_claim(db_session, event, data.waitlist_claim, secret_key, now)
    if not comp:
        claimed_item = (offer.category_id or offer.add_on_id) if offer else None
        waitlist_claims.refuse_queued_items(attendees, found.queued, claimed_item)
    return _Checked(event, found, catalog, promo, attendees, offer)


async def _free_stale_holds(db_session: AsyncSession, now: dt.datetime, event_id: UUID) -> bool:
    """End the event's unpaid holds that ran out; whether any did (their seats are free again)."""
    return await expire_holds(db_session, now=now, event_id=event_id) > 0


async def _make_room(
    db_session: AsyncSession,
    checked: _Checked,
    held: dict[str, UUID],
    short: UUID | None,
    to_take: dict[UUID, int],
    free_stale_holds: Callable[[], Awaitable[bool]],
    data: OrderCreate,
    actor: str,
) -> None:
    """End these people's own unpaid holds and, when seats are short, the event's holds that ran out; refuse
    the order (sold out) if that still leaves too few seats (the caller's transaction is then rolled back)."""
    if held:
        buyer_email = normalise_email(data.buyer_email)
        await release_holds_of(db_session, held, event=checked.event, new_buyer_email=buyer_email, actor=actor)
        if short is not None:  # the released holds gave seats back
            short = await visibly_short(db_session, to_take)
    if short is not None and checked.found.stale_holds and await free_stale_holds():
        # Unpaid holds ran out: what they gave back may be enough.
        short = await visibly_short(db_session, to_take)
        if short is not None:
            raise await sold_out_error(db_session, short, checked.attendees, checked.catalog)
    elif short is not None:
        name, left = checked.found.seats_left.get(short, ("", 0))
        raise sold_out(short, name, left, checked.attendees, checked.catalog)


async def _refuse(db_session: AsyncSession, refused: UUID | str, checked: _Checked) -> NoReturn:
    """Say why the counters refused a new order: its promo code ran out, or which quota did."""
    if refused == PROMO_USED_UP:
        raise Conflict(N_("this promo code has been used up"), field="promo_code", code="promo_exhausted")
    raise await sold_out_error(db_session, cast(UUID, refused), checked.attendees, checked.catalog)


async def _claim_and_confirm(
    db_session: AsyncSession, order: Order, offer: WaitlistEntry | None, actor: str, now: dt.datetime
) -> None:
    """What a placed order does besides holding seats: use its waitlist offer; confirm it if it is free."""
    if offer is not None:
        await waitlist_claims.mark_claimed(db_session, offer, actor)
    if order.total == 0:
        order.payment_provider = "none"
        await confirm_order(db_session, order, actor=actor, now=now, note="nothing to pay")


def _key_reused() -> Conflict:
    return Conflict(
        N_("this Idempotency-Key was already used for a different order"),
        field="Idempotency-Key",
        code="idempotency_key_reused",
    )


async def _replay(db_session: AsyncSession, replay: tuple[UUID, str], fingerprint: str) -> Order:
    order_id, request_hash = replay
    if request_hash != fingerprint:
        raise _key_reused()
    order = await db_session.get(Order, order_id)
    if order is None:  # deleted since (its event went with it): as if the key were new
        raise NotFound(N_("no such order"), field="Idempotency-Key")
    return order


async def _after_insert_race(db_session: AsyncSession, event_slug: str, mine: Order, exc: Exception) -> Placed:
    """A concurrent twin won the race: the same Idempotency-Key (return its order) or the same person."""
    if mine.idempotency_key:
        event = await get_event(db_session, event_slug)
        query = select(Order).where(Order.event_id == event.id, Order.idempotency_key == mine.idempotency_key)
        existing = await db_session.scalar(query)
        if existing is not None and existing.request_hash != mine.request_hash:
            raise _key_reused()
        if existing is not None:
            return Placed(existing, created=False)
    raise Conflict(
        N_("someone in this order is already registered for this event"), field="attendees", code="already_registered"
    ) from exc
