"""Badges: made on first need, reprinted (which revokes the old token), looked up by staff; the event's
check-in settings. (Printing them is ``badges.printing``.)

A badge row is created lazily, the first time anything needs it (the attendee's PDF, a print batch, the
scanner bundle, a staff lookup), with a random serial; the inserts are ``ON CONFLICT DO NOTHING``, so
two requests making the same badge at once keep one, and a serial that happens to be taken already is
simply drawn again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal
from uuid import UUID, uuid4

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from badges import keys, tokens
from badges.models import Badge, CheckinSettings
from badges.schemas import AttendeeMatch, BadgeRead, CheckinSettingsIO
from events.services import get_event
from podium import audit
from podium.audit_models import AuditEntry
from podium.db import begin_write, utcnow
from podium.errors import InvalidInput, NotFound
from podium.i18n import N_, current_locale
from podium.translated import localized
from registration.mail.services import enqueue_badge_reprinted_mail
from registration.models import Category, Order, OrderStatus, Registration, RegistrationStatus

# Registrations that get a badge: everyone who holds or held a seat (a cancelled one keeps its row, so
# its token answers "cancelled" rather than "invalid").
BADGE_STATUSES = (
    RegistrationStatus.HELD.value,
    RegistrationStatus.CONFIRMED.value,
    RegistrationStatus.AWAITING_VERIFICATION.value,
)


def admission_status(registration_status: str, order_status: str) -> Literal["ok", "not_paid", "cancelled"]:
    """``ok``, ``not_paid`` or ``cancelled``: what a scanner needs to know about the person's registration."""
    if registration_status in (RegistrationStatus.CANCELLED, RegistrationStatus.EXPIRED):
        return "cancelled"
    if registration_status == RegistrationStatus.CONFIRMED and order_status == OrderStatus.PAID:
        return "ok"
    return "not_paid"


async def ensure_badges(db_session: AsyncSession, registration_ids: Sequence[UUID]) -> dict[UUID, Badge]:
    """The badges of these registrations, making the missing ones; the caller commits (also on a read: a made
    badge's serial may already be on paper or in a mail)."""
    wanted = list(dict.fromkeys(registration_ids))
    found: dict[UUID, Badge] = {}
    for _ in range(5):
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await db_session.scalars(
                select(Badge).where(Badge.registration_id.in_(chunk)).execution_options(populate_existing=True)
            )
            found.update((b.registration_id, b) for b in rows)
        missing = [r for r in wanted if r not in found]
        if not missing:
            return found
        events = await _make_badges(db_session, missing)
        # A registration that doesn't exist gets none; a serial that was taken is drawn again next round.
        wanted = [r for r in wanted if r in found or r in events]
    raise RuntimeError("could not draw free badge serials")


async def _make_badges(db_session: AsyncSession, missing: Sequence[UUID]) -> dict[UUID, UUID]:
    """Insert a badge with a new serial for each registration (``ON CONFLICT DO NOTHING``: a racing request's
    badge, or a serial drawn twice, is simply not made here), auditing those made; each one's event id."""
    events = dict(
        (await db_session.execute(select(Registration.id, Registration.event_id).where(Registration.id.in_(missing))))
        .tuples()
        .all()
    )
    bind = db_session.bind
    insert = postgresql.insert if bind is not None and bind.dialect.name == "postgresql" else sqlite.insert
    await begin_write(db_session)
    now = utcnow()
    values = [
        {
            "id": uuid4(),
            "event_id": events[rid],
            "registration_id": rid,
            "serial": tokens.serial_to_text(tokens.new_serial()),
            "version": 1,
            "print_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for rid in missing
        if rid in events
    ]
    for start in range(0, len(values), 500):
        made = await db_session.execute(
            insert(Badge)
            .values(values[start : start + 500])
            .on_conflict_do_nothing()
            .returning(Badge.id, Badge.event_id, Badge.serial)
        )
        # Only the rows this call made (a racing worker's are its own to record).
        entries = [
            audit.as_row(
                audit.build("badge", badge_id, "issued", None, event_id=event_id, changes={"serial": [None, serial]})
            )
            for badge_id, event_id, serial in made.all()
        ]
        if entries:
            await db_session.execute(insert(AuditEntry), entries)
    return events


async def token_for(db_session: AsyncSession, badge: Badge, secret_key: str) -> str:
    key_row = await keys.event_key(db_session, badge.event_id, secret_key)
    return tokens.issue(
        keys.signing_key(key_row, secret_key),
        bytes.fromhex(key_row.kid),
        tokens.serial_from_text(badge.serial),
        badge.version,
    )


async def badge_of(db_session: AsyncSession, registration: Registration, secret_key: str) -> BadgeRead:
    """The registration's badge and its current token (made now if it had none)."""
    await keys.event_key(db_session, registration.event_id, secret_key)
    badge = (await ensure_badges(db_session, [registration.id]))[registration.id]
    token = await token_for(db_session, badge, secret_key)
    return BadgeRead(
        registration_id=registration.id,
        serial=badge.serial,
        version=badge.version,
        token=token,
        print_count=badge.print_count,
        printed_at=badge.printed_at,
    )


async def reissue(db_session: AsyncSession, registration_id: UUID, secret_key: str, *, actor: str) -> BadgeRead:
    """A new printing of the badge: the version goes up, so every token of the old printing is revoked."""
    registration = await db_session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(N_("no such registration"), field="registration_id")
    await keys.event_key(db_session, registration.event_id, secret_key)
    badge = (await ensure_badges(db_session, [registration_id]))[registration_id]
    await begin_write(db_session)
    new_version = await db_session.scalar(
        update(Badge)
        .where(Badge.id == badge.id, Badge.version < tokens.MAX_VERSION)
        .values(version=Badge.version + 1, updated_at=utcnow())
        .returning(Badge.version)
    )
    if new_version is None:
        raise InvalidInput(N_("this badge has been reprinted too often"), field="registration_id")
    audit.record_updated(
        db_session,
        "badge",
        badge.id,
        {"version": new_version - 1},
        {"version": new_version},
        actor,
        event_id=registration.event_id,
        action="reprinted",
        note="the earlier printings no longer admit",
    )
    await enqueue_badge_reprinted_mail(db_session, registration, version=new_version)
    return await badge_of(db_session, registration, secret_key)


async def lookup(db_session: AsyncSession, event_slug: str, query: str, *, limit: int = 20) -> list[AttendeeMatch]:
    """Staff's search when the QR is missing: by name (first, last or both) or email, case-insensitive."""
    event = await get_event(db_session, event_slug, with_children=False)
    words = query.strip().lower().split()
    if not words or len(query) > 200:
        raise InvalidInput(N_("type part of a name or an email"), field="q")
    full_name = func.lower(Registration.first_name + " " + Registration.last_name)
    conditions = [
        or_(full_name.contains(word, autoescape=True), func.lower(Registration.email).contains(word, autoescape=True))
        for word in words
    ]
    rows = (
        await db_session.execute(
            select(Registration, Order.status, Category.name, Category.translations)
            .join(Order, Order.id == Registration.order_id)
            .join(Category, Category.id == Registration.category_id)
            .where(Registration.event_id == event.id, Registration.status.in_(BADGE_STATUSES), *conditions)
            .order_by(func.lower(Registration.last_name), func.lower(Registration.first_name))
            .limit(limit)
        )
    ).all()
    badges = await ensure_badges(db_session, [r.id for r, *_ in rows])
    locale = current_locale()
    return [
        AttendeeMatch(
            registration_id=r.id,
            name=f"{r.first_name} {r.last_name}",
            email=r.email,
            affiliation=r.affiliation,
            category=localized(category, translations, "name", locale),
            status=admission_status(r.status, order_status),
            serial=badges[r.id].serial,
            badge_version=badges[r.id].version,
        )
        for r, order_status, category, translations in rows
    ]


async def settings_of(db_session: AsyncSession, event_id: UUID) -> CheckinSettingsIO:
    row = await db_session.scalar(select(CheckinSettings).where(CheckinSettings.event_id == event_id))
    if row is None:
        return CheckinSettingsIO()
    return CheckinSettingsIO(doors_open_minutes=row.doors_open_minutes, credit_threshold_pct=row.credit_threshold_pct)


async def set_settings(db_session: AsyncSession, event_slug: str, data: CheckinSettingsIO) -> CheckinSettingsIO:
    event = await get_event(db_session, event_slug, with_children=False)
    bind = db_session.bind
    insert = postgresql.insert if bind is not None and bind.dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    await begin_write(db_session)
    # Insert-or-update in one statement, so two organizers saving at once can't collide on the event.
    values = {"doors_open_minutes": data.doors_open_minutes, "credit_threshold_pct": data.credit_threshold_pct}
    await db_session.execute(
        insert(CheckinSettings)
        .values(id=uuid4(), event_id=event.id, created_at=now, updated_at=now, **values)
        .on_conflict_do_update(index_elements=["event_id"], set_={**values, "updated_at": now})
    )
    return await settings_of(db_session, event.id)
