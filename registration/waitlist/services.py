"""Waitlists for full categories and add-ons: join, get an offer that holds a seat, claim it or let it lapse.

Freed seats go to the queue before anyone else: while people wait for an item, new orders for it are
refused as sold out, and the sweeper (``process_waitlists``) hands each freed seat to the next person as
an offer that holds it for a limited time. Claiming is placing an order with the offer's token; the held
seat moves into the order. An offer that lapses gives its seat to the next in line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event
from podium.auth.services import normalise_email
from podium.db import begin_write, utcnow
from podium.errors import Conflict, InvalidInput
from podium.i18n import N_, current_locale, gettext
from podium.reader_zone import current_reader_zone
from podium.rows import rows_changed
from registration.audit.services import record
from registration.links.tokens import waitlist_token, waitlist_url
from registration.mail.services import enqueue_waitlist_offer_mail
from registration.models import AddOn, Category, Quota, WaitlistEntry, WaitlistStatus
from registration.orders.holds import take_seats
from registration.orders.validation import CatalogView, load_catalog
from registration.orders.waitlist_claims import held_seats
from registration.schemas import WaitlistEntryRead, WaitlistItemKind, WaitlistJoin

DEFAULT_OFFER_HOURS = 24
ACTIVE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


def item_quotas(catalog: CatalogView, *, category_id: UUID | None, add_on_id: UUID | None) -> dict[UUID, int]:
    """The seats one place in the queue stands for: a category needs its own and the event-wide quotas."""
    if category_id is not None:
        return {q: 1 for q in (*catalog.event_quotas, *catalog.category_quotas.get(category_id, ()))}
    return {q: 1 for q in catalog.add_on_quotas.get(add_on_id, ())} if add_on_id else {}


async def _available(db_session: AsyncSession, quota_ids: Iterable[UUID]) -> int | None:
    ids = list(quota_ids)
    if not ids:
        return None
    rows = (await db_session.execute(select(Quota.seats_left).where(Quota.id.in_(ids)))).scalars().all()
    return max(0, min(rows)) if rows else None


async def join(
    db_session: AsyncSession, *, event_slug: str, data: WaitlistJoin, secret_key: str, base_url: str
) -> tuple[WaitlistEntryRead, bool]:
    """Queue up for a sold-out item; joining twice returns the same place in the queue. The caller commits."""
    if (data.category is None) == (data.add_on is None):
        raise InvalidInput(N_("name exactly one of category or add_on"), field="category")
    event = await get_event(db_session, event_slug, published_only=True)
    catalog = await load_catalog(db_session, event)
    category = catalog.categories.get(data.category) if data.category else None
    add_on = catalog.add_ons.get(data.add_on) if data.add_on else None
    if data.category and (category is None or not category.is_active):
        raise InvalidInput(
            gettext("no category %(code)s at this event") % {"code": repr(data.category)}, field="category"
        )
    if data.add_on and (add_on is None or not add_on.is_active):
        raise InvalidInput(gettext("no add-on %(code)s at this event") % {"code": repr(data.add_on)}, field="add_on")
    category_id, add_on_id = (category.id if category else None), (add_on.id if add_on else None)
    email = normalise_email(data.email)
    existing = await db_session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.event_id == event.id,
            WaitlistEntry.email == email,
            WaitlistEntry.category_id == category_id if category_id else WaitlistEntry.add_on_id == add_on_id,
            WaitlistEntry.status.in_(ACTIVE),
        )
    )
    if existing is not None:
        return await entry_read(db_session, existing, secret_key=secret_key, base_url=base_url), False
    queue_length = await _queue_length(db_session, event.id, category_id, add_on_id)
    available = await _available(db_session, item_quotas(catalog, category_id=category_id, add_on_id=add_on_id))
    if queue_length == 0 and (available is None or available > 0):
        field = "category" if category_id else "add_on"
        raise Conflict(N_("there are seats left: register instead"), field=field, code="seats_available")
    entry = WaitlistEntry(
        event_id=event.id,
        category_id=category_id,
        add_on_id=add_on_id,
        email=email,
        name=data.name.strip(),
        locale=current_locale(),
        time_zone=current_reader_zone(),
    )
    db_session.add(entry)
    await db_session.flush()
    record(db_session, "waitlist", entry.id, None, WaitlistStatus.WAITING, f"buyer:{email}")
    return await entry_read(db_session, entry, secret_key=secret_key, base_url=base_url), True


async def _queue_length(
    db_session: AsyncSession, event_id: UUID, category_id: UUID | None, add_on_id: UUID | None
) -> int:
    same_item = WaitlistEntry.category_id == category_id if category_id else WaitlistEntry.add_on_id == add_on_id
    rows = await db_session.scalars(
        select(WaitlistEntry.id).where(
            WaitlistEntry.event_id == event_id, same_item, WaitlistEntry.status == WaitlistStatus.WAITING
        )
    )
    return len(rows.all())


async def entry_read(
    db_session: AsyncSession, entry: WaitlistEntry, *, secret_key: str, base_url: str
) -> WaitlistEntryRead:
    item: Category | AddOn | None
    kind: WaitlistItemKind
    if entry.category_id:
        item, kind = await db_session.get(Category, entry.category_id), "category"
    else:
        item, kind = await db_session.get(AddOn, entry.add_on_id), "add_on"
    assert item is not None
    position = None
    if entry.status == WaitlistStatus.WAITING:
        same_item = (
            WaitlistEntry.category_id == entry.category_id
            if entry.category_id
            else WaitlistEntry.add_on_id == entry.add_on_id
        )
        ahead = await db_session.scalars(
            select(WaitlistEntry.id).where(
                WaitlistEntry.event_id == entry.event_id,
                same_item,
                WaitlistEntry.status == WaitlistStatus.WAITING,
                WaitlistEntry.created_at < entry.created_at,
            )
        )
        position = len(ahead.all()) + 1
    event_slug = await db_session.scalar(select(Event.slug).where(Event.id == entry.event_id))
    token = waitlist_token(secret_key, entry.id)
    return WaitlistEntryRead(
        id=entry.id,
        status=WaitlistStatus(entry.status),
        item_kind=kind,
        item_code=item.code,
        item_name=item.name,
        position=position,
        offer_expires_at=entry.offer_expires_at,
        token=token,
        claim_url=waitlist_url(base_url, secret_key, event_slug or "", entry.id),
    )


async def leave(db_session: AsyncSession, entry: WaitlistEntry) -> WaitlistEntry:
    """Leave the queue (the caller opened ``entry`` by its link); an offer's held seat goes back (and on to the
    next person at the next sweep)."""
    await begin_write(db_session)
    if entry.status in ACTIVE:
        await _end(db_session, entry, WaitlistStatus.LEFT, actor=f"buyer:{entry.email}")
    return entry


async def _end(db_session: AsyncSession, entry: WaitlistEntry, target: WaitlistStatus, *, actor: str) -> bool:
    """waiting/offered → target exactly once, giving an offer's held seats back."""
    changed = await rows_changed(
        db_session,
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == entry.status)
        .values(status=target),
    )
    if changed != 1:
        return False
    for quota_id, count in held_seats(entry).items():
        await rows_changed(db_session, update(Quota).where(Quota.id == quota_id).values(used=Quota.used - count))
    record(db_session, "waitlist", entry.id, entry.status, target, actor)
    await db_session.refresh(entry)
    return True


async def process_waitlists(
    db_session: AsyncSession,
    *,
    now: dt.datetime | None = None,
    offer_hours: float = DEFAULT_OFFER_HOURS,
    event_id: UUID | None = None,
) -> tuple[int, int]:
    """Lapse expired offers (their seats go back), then offer every free seat to the next in line.
    Returns (lapsed, offered). Safe on several workers: each change is a conditional update. The caller
    commits, the offers with their mails."""
    now = now or utcnow()
    await begin_write(db_session)
    lapsed = 0
    in_scope = WaitlistEntry.event_id == event_id if event_id else WaitlistEntry.id.is_not(None)
    expired = (
        await db_session.scalars(
            select(WaitlistEntry).where(
                in_scope, WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now
            )
        )
    ).all()
    for entry in expired:
        lapsed += await _end(db_session, entry, WaitlistStatus.LAPSED, actor="system")
    offered = 0
    queued_items = (
        await db_session.execute(
            select(WaitlistEntry.event_id, WaitlistEntry.category_id, WaitlistEntry.add_on_id)
            .where(in_scope, WaitlistEntry.status == WaitlistStatus.WAITING)
            .distinct()
        )
    ).all()
    catalogs: dict[UUID, CatalogView] = {}
    for event_id, category_id, add_on_id in queued_items:
        if event_id not in catalogs:
            event = await db_session.get(Event, event_id)
            assert event is not None
            catalogs[event_id] = await load_catalog(db_session, event)
        needs = item_quotas(catalogs[event_id], category_id=category_id, add_on_id=add_on_id)
        offered += await _offer_item(db_session, event_id, category_id, add_on_id, needs, now, offer_hours)
    return lapsed, offered


async def _offer_item(
    db_session: AsyncSession,
    event_id: UUID,
    category_id: UUID | None,
    add_on_id: UUID | None,
    needs: dict[UUID, int],
    now: dt.datetime,
    offer_hours: float,
) -> int:
    """Offer free seats of one item to its queue, oldest first, until the seats or the queue run out."""
    same_item = WaitlistEntry.category_id == category_id if category_id else WaitlistEntry.add_on_id == add_on_id
    queue = (
        await db_session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.event_id == event_id, same_item, WaitlistEntry.status == WaitlistStatus.WAITING)
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    ).all()
    offered = 0
    for entry in queue:
        if not needs:  # the item lost its capacity limit: everyone can simply register
            await _end(db_session, entry, WaitlistStatus.LEFT, actor="system")
            continue
        expires = now + dt.timedelta(hours=offer_hours)
        try:
            await _hold_for(db_session, entry, needs, expires)
        except _SeatsShort:
            break
        except _OfferedElsewhere:
            continue
        record(
            db_session,
            "waitlist",
            entry.id,
            WaitlistStatus.WAITING,
            WaitlistStatus.OFFERED,
            "system",
            f"offer open until {expires:%Y-%m-%d %H:%M} UTC",
        )
        await db_session.refresh(entry)  # the UPDATE above went around the session
        await enqueue_waitlist_offer_mail(db_session, entry)
        offered += 1
    return offered


class _SeatsShort(Exception):
    """The item's free seats ran out: the queue waits for the next ones."""


class _OfferedElsewhere(Exception):
    """Another worker made this entry its offer first."""


async def _hold_for(
    db_session: AsyncSession, entry: WaitlistEntry, needs: dict[UUID, int], expires: dt.datetime
) -> None:
    """Take the seats and open the offer, both or neither (a savepoint: a refusal undoes only this entry's try)."""
    async with db_session.begin_nested():
        if await take_seats(db_session, needs) is not None:
            raise _SeatsShort
        changed = await rows_changed(
            db_session,
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WaitlistStatus.WAITING)
            .values(
                status=WaitlistStatus.OFFERED,
                offer_version=WaitlistEntry.offer_version + 1,
                offer_expires_at=expires,
                held_quota_ids=[str(q) for q in needs],
            ),
        )
        if changed != 1:
            raise _OfferedElsewhere
