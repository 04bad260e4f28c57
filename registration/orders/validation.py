"""Checking an order against the catalog before any seat is taken: eligibility, add-ons, answers, prices.

Everything here reads; nothing writes. Errors name the offending field as ``attendees[i].<field>``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Integer, String, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.auth.services import normalise_email
from podium.errors import Conflict, FieldError, InvalidInput
from podium.i18n import N_, gettext, ngettext
from podium.lru import Lru
from podium.translated import translated_text
from registration.catalog.pricing import AttendeeQuote, Promo, Window, current_window, local_date, quote_attendee
from registration.catalog.schemas import QuestionRead
from registration.income_groups import discount_pct
from registration.models import (
    AddOn,
    Category,
    Eligibility,
    PromoCode,
    Question,
    Quota,
    QuotaItem,
    RegistrationSettings,
)
from registration.schemas import AttendeeIn, OrderCreate

DEFAULT_HOLD_MINUTES = 15


def already_registered(email: str) -> str:
    """The refusal of a person the event has a registration for already (an order, a transfer)."""
    return gettext("%(email)s is already registered for this event") % {"email": email}


class SoldOut(Conflict):
    code = "sold_out"
    title = N_("Sold out")


@dataclass(frozen=True)
class CatalogView:
    """What placing an order needs from the catalog, loaded in four queries."""

    categories: dict[str, Category]
    add_ons: dict[str, AddOn]
    questions: Sequence[Question]
    settings: RegistrationSettings | None
    event_quotas: tuple[UUID, ...]
    category_quotas: dict[UUID, tuple[UUID, ...]]
    add_on_quotas: dict[UUID, tuple[UUID, ...]]

    @property
    def hold_minutes(self) -> int:
        return self.settings.hold_minutes if self.settings else DEFAULT_HOLD_MINUTES


async def _read_catalog(db_session: AsyncSession, event: Event) -> CatalogView:
    categories = (await db_session.scalars(select(Category).where(Category.event_id == event.id))).all()
    add_ons = (await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id))).all()
    questions = (
        await db_session.scalars(select(Question).where(Question.event_id == event.id).order_by(Question.position))
    ).all()
    settings = await db_session.scalar(select(RegistrationSettings).where(RegistrationSettings.event_id == event.id))
    quota_rows = (
        await db_session.execute(
            select(Quota.id, Quota.scope, QuotaItem.category_id, QuotaItem.add_on_id)
            .outerjoin(QuotaItem, QuotaItem.quota_id == Quota.id)
            .where(Quota.event_id == event.id)
        )
    ).all()
    event_quotas: set[UUID] = set()
    by_category: defaultdict[UUID, set[UUID]] = defaultdict(set)
    by_add_on: defaultdict[UUID, set[UUID]] = defaultdict(set)
    for quota_id, scope, category_id, add_on_id in quota_rows:
        if scope == "event":
            event_quotas.add(quota_id)
        elif category_id is not None:
            by_category[category_id].add(quota_id)
        elif add_on_id is not None:
            by_add_on[add_on_id].add(quota_id)
    # Detached (price windows go with their category), so a rollback in this or any later request can't
    # expire what other requests reuse.
    for row in (*categories, *add_ons, *questions, *([settings] if settings else [])):
        db_session.expunge(row)
    return CatalogView(
        categories={c.code: c for c in categories},
        add_ons={a.code: a for a in add_ons},
        questions=questions,
        settings=settings,
        event_quotas=tuple(event_quotas),
        category_quotas={k: tuple(v) for k, v in by_category.items()},
        add_on_quotas={k: tuple(v) for k, v in by_add_on.items()},
    )


# A catalog changes rarely and is read by every order, so each worker keeps the views it read, keyed by the
# event and a fingerprint the database computes in one round trip on every use: counts and newest changes of
# everything the view holds, one row per part. The key names the view's content, so an entry can't go stale:
# any organizer edit, on whichever worker, changes the fingerprint the next order reads, and that order looks up
# another key (the old entry just ages out). Seat counters are not part of it (they move through their own
# conditional UPDATEs), so taking seats never changes it. ``{event}`` is the event id's SQL (a parameter here, a
# subquery in ``orders.snapshot``).
CATALOG_STAMP_ROWS = """
SELECT 'categories' AS part, count(*) AS n, max(updated_at) AS at FROM reg_category WHERE event_id = {event}
UNION ALL SELECT 'windows', count(*), max(w.updated_at) FROM price_window w
    JOIN reg_category c ON c.id = w.category_id WHERE c.event_id = {event}
UNION ALL SELECT 'add_ons', count(*), max(updated_at) FROM add_on WHERE event_id = {event}
UNION ALL SELECT 'questions', count(*), max(updated_at) FROM reg_question WHERE event_id = {event}
UNION ALL SELECT 'settings', count(*), max(updated_at) FROM registration_settings WHERE event_id = {event}
UNION ALL SELECT 'quotas', count(*), max(created_at) FROM quota WHERE event_id = {event}
UNION ALL SELECT 'items', count(*), NULL FROM quota_item i JOIN quota q ON q.id = i.quota_id WHERE q.event_id = {event}
UNION ALL SELECT 'items_max', max(i.id), NULL FROM quota_item i JOIN quota q ON q.id = i.quota_id
    WHERE q.event_id = {event}"""
_CATALOG_STAMP = (
    text(CATALOG_STAMP_ROWS.format(event=":event_id"))
    .bindparams(bindparam("event_id", type_=GUID))
    .columns(part=String, n=Integer, at=DateTimeUTC(timezone=True))
)
_catalogs: Lru[CatalogView] = Lru(size=32)
_reading: dict[tuple[UUID, tuple[Any, ...]], asyncio.Future[CatalogView | None]] = {}


def catalog_stamp(rows: Iterable[tuple[str, int | None, dt.datetime | None]]) -> tuple[Any, ...]:
    return tuple(sorted((part, n or 0, at) for part, n, at in rows))


async def load_catalog(db_session: AsyncSession, event: Event, stamp: tuple[Any, ...] | None = None) -> CatalogView:
    """The event's catalog, from this worker's copy of it as of ``stamp`` (its fingerprint, read now if not given)."""
    if stamp is None:
        stamp = catalog_stamp((await db_session.execute(_CATALOG_STAMP, {"event_id": event.id})).tuples())
    cached = _catalogs.get(_key(event.id, stamp))
    if cached is not None:
        return cached
    reading = _reading.get((event.id, stamp))
    if reading is not None:
        # Another request of this worker is reading this very catalog (registration just opened, or the
        # organizers just edited it): share its read rather than all of them reading it at once.
        view = await asyncio.shield(reading)
        if view is not None:
            return view
    return await _read_and_keep(db_session, event, stamp)


async def _read_and_keep(db_session: AsyncSession, event: Event, stamp: tuple[Any, ...]) -> CatalogView:
    reading: asyncio.Future[CatalogView | None] = asyncio.get_running_loop().create_future()
    key = (event.id, stamp)
    _reading.setdefault(key, reading)
    view = None
    try:
        view = await _read_catalog(db_session, event)
    finally:
        if _reading.get(key) is reading:
            del _reading[key]
        reading.set_result(view)  # None if the read failed: whoever waited for it reads for themselves
    _catalogs.put(_key(event.id, stamp), view)
    return view


def _key(event_id: UUID, stamp: tuple[Any, ...]) -> str:
    """The cache key: the event and its catalog's fingerprint (counts, ids and aware datetimes: a stable repr)."""
    return f"{event_id}|{stamp!r}"


@dataclass(frozen=True)
class CheckedAttendee:
    index: int
    data: AttendeeIn
    email: str
    category: Category
    add_ons: tuple[AddOn, ...]
    quote: AttendeeQuote


def check_registration_open(event: Event, now: dt.datetime) -> None:
    if event.registration_opens_at and now < event.registration_opens_at:
        raise Conflict(N_("registration has not opened yet"), code="registration_closed", field="event")
    if event.registration_closes_at and now >= event.registration_closes_at:
        raise Conflict(N_("registration has closed"), code="registration_closed", field="event")


def access_code_matches(category: Category, given: str | None) -> bool:
    """Whether ``given`` is the category's access code (case and surrounding spaces don't matter)."""
    given_bytes = (given or "").strip().casefold().encode()
    expected = (category.access_code or "").strip().casefold().encode()
    return bool(given_bytes and expected) and hmac.compare_digest(given_bytes, expected)


def _check_eligibility(prefix: str, attendee: AttendeeIn, category: Category) -> None:
    rule = Eligibility(category.eligibility)
    if rule == Eligibility.MEMBER_NUMBER and not attendee.member_number:
        raise InvalidInput(
            gettext("the %(category)s category needs a member number")
            % {"category": translated_text(category, "name")},
            field=f"{prefix}.member_number",
        )
    if rule == Eligibility.ACCESS_CODE and not access_code_matches(category, attendee.access_code):
        raise InvalidInput(
            gettext("the %(category)s category needs a valid access code")
            % {"category": translated_text(category, "name")},
            field=f"{prefix}.access_code",
            code="invalid_access_code",
        )


def answer_errors(
    prefix: str, answers: dict[str, Any], questions: Sequence[Question] | Sequence[QuestionRead]
) -> list[FieldError]:
    """Every answer that is missing or wrong, each on its own question (the form marks only those)."""
    known = {q.code: q for q in questions}
    errors = [FieldError(f"{prefix}.answers.{c}", N_("there is no such question")) for c in answers if c not in known]
    for question in questions:
        field = f"{prefix}.answers.{question.code}"
        value = answers.get(question.code)
        if value is None or (isinstance(value, str) and not value.strip()):
            if question.required:
                errors.append(FieldError(field, gettext("please answer: %(question)s") % {"question": question.label}))
            continue
        if question.kind == "boolean" and not isinstance(value, bool):
            errors.append(FieldError(field, N_("expected true or false")))
        elif question.kind in {"text", "choice"} and not isinstance(value, str):
            errors.append(FieldError(field, N_("expected text")))
        elif question.kind == "choice" and value not in question.options:
            options = ", ".join(question.options)
            errors.append(FieldError(field, gettext("choose one of: %(options)s") % {"options": options}))
    return errors


def _check_answers(prefix: str, answers: dict[str, Any], questions: Sequence[Question]) -> None:
    errors = answer_errors(prefix, answers, questions)
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)


def _check_add_ons(prefix: str, attendee: AttendeeIn, category: Category, catalog: CatalogView) -> tuple[AddOn, ...]:
    if len(set(attendee.add_ons)) != len(attendee.add_ons):
        raise InvalidInput(N_("an add-on is listed twice"), field=f"{prefix}.add_ons")
    chosen: list[AddOn] = []
    for code in attendee.add_ons:
        add_on = catalog.add_ons.get(code)
        if add_on is None or not add_on.is_active:
            raise InvalidInput(
                gettext("no add-on %(code)s at this event") % {"code": repr(code)}, field=f"{prefix}.add_ons"
            )
        if add_on.category_ids and str(category.id) not in add_on.category_ids:
            raise InvalidInput(
                gettext("%(add_on)s is not available to %(category)s")
                % {"add_on": translated_text(add_on, "name"), "category": translated_text(category, "name")},
                field=f"{prefix}.add_ons",
            )
        chosen.append(add_on)
    return tuple(chosen)


async def find_promo(db_session: AsyncSession, event: Event, code: str | None, now: dt.datetime) -> PromoCode | None:
    if not code:
        return None
    promo = await db_session.scalar(
        select(PromoCode).where(PromoCode.event_id == event.id, PromoCode.code == code.strip().upper())
    )
    if promo is None:
        raise InvalidInput(N_("unknown promo code"), field="promo_code", code="unknown_promo_code")
    if (promo.valid_from and now < promo.valid_from) or (promo.valid_until and now >= promo.valid_until):
        raise Conflict(N_("this promo code is not valid now"), field="promo_code", code="promo_not_valid")
    return promo


COMP = Promo(kind="percent", value=100)


def check_attendees(
    data: OrderCreate,
    catalog: CatalogView,
    event: Event,
    promo: PromoCode | None,
    now: dt.datetime,
    *,
    comp: bool = False,
) -> list[CheckedAttendee]:
    """Check every attendee against the catalog and price them. ``comp`` (organizers only) waives
    eligibility proof and makes everything free; seats, answers and one-per-person still apply."""
    today = local_date(now, event.timezone)
    pricing_promo = (
        Promo(
            kind=promo.kind,
            value=promo.value,
            category_ids=frozenset(promo.category_ids),
            add_on_ids=frozenset(promo.add_on_ids),
        )
        if promo
        else None
    )
    if comp:
        pricing_promo = COMP
    checked: list[CheckedAttendee] = []
    seen: dict[str, int] = {}
    for index, attendee in enumerate(data.attendees):
        prefix = f"attendees[{index}]"
        email = normalise_email(attendee.email)
        if email in seen:
            raise InvalidInput(
                gettext("the same person is listed twice (attendee %(number)d)") % {"number": seen[email] + 1},
                field=f"{prefix}.email",
            )
        seen[email] = index
        category = catalog.categories.get(attendee.category)
        if category is None or not category.is_active:
            raise InvalidInput(
                gettext("no category %(code)s at this event") % {"code": repr(attendee.category)},
                field=f"{prefix}.category",
            )
        if not comp:
            _check_eligibility(prefix, attendee, category)
        add_ons = _check_add_ons(prefix, attendee, category, catalog)
        _check_answers(prefix, attendee.answers, catalog.questions)
        window = current_window((Window(w.label, w.starts_on, w.amount) for w in category.price_windows), today)
        if window is None and comp:
            window = Window("comp", today, 0)
        if window is None:
            raise Conflict(
                gettext("%(category)s is not on sale yet") % {"category": translated_text(category, "name")},
                field=f"{prefix}.category",
                code="not_on_sale",
            )
        quote = quote_attendee(
            category_id=str(category.id),
            category_amount=window.amount,
            add_ons=[(str(a.id), a.amount) for a in add_ons],
            income_discount_pct=discount_pct(catalog.settings, attendee.country),
            promo=pricing_promo,
        )
        checked.append(CheckedAttendee(index, attendee, email, category, add_ons, quote))
    if promo is not None and not comp and not any(a.quote.promo_used for a in checked):
        raise InvalidInput(N_("this promo code does not apply to anything in this order"), field="promo_code")
    return checked


def refuse_registered(attendees: list[CheckedAttendee], registered: set[str]) -> None:
    """One person (email) is registered once per event; ``registered`` are the emails already taken."""
    for attendee in attendees:
        if attendee.email in registered:
            raise Conflict(
                already_registered(attendee.data.email),
                field=f"attendees[{attendee.index}].email",
                code="already_registered",
            )


def seats_needed(attendees: list[CheckedAttendee], catalog: CatalogView) -> dict[UUID, int]:
    needs: defaultdict[UUID, int] = defaultdict(int)
    for attendee in attendees:
        for quota_id in catalog.event_quotas:
            needs[quota_id] += 1
        for quota_id in catalog.category_quotas.get(attendee.category.id, ()):
            needs[quota_id] += 1
        for add_on in attendee.add_ons:
            for quota_id in catalog.add_on_quotas.get(add_on.id, ()):
                needs[quota_id] += 1
    return dict(needs)


async def sold_out_error(
    db_session: AsyncSession, quota_id: UUID, attendees: Sequence[CheckedAttendee], catalog: CatalogView
) -> SoldOut:
    quota = await db_session.get(Quota, quota_id)
    name = quota.name if quota else ""
    return sold_out(quota_id, name, quota.seats_left if quota else 0, attendees, catalog)


def sold_out(
    quota_id: UUID, name: str, available: int, attendees: Sequence[CheckedAttendee], catalog: CatalogView
) -> SoldOut:
    """The refusal for a quota without room, naming the first attendee field that needs it."""
    field = "attendees"
    for attendee in attendees:
        if quota_id in catalog.category_quotas.get(attendee.category.id, ()):
            field = f"attendees[{attendee.index}].category"
            break
        if any(quota_id in catalog.add_on_quotas.get(a.id, ()) for a in attendee.add_ons):
            field = f"attendees[{attendee.index}].add_ons"
            break
    available = max(0, available)
    detail = ngettext(
        "%(item)s is sold out (%(num)d seat is left)", "%(item)s is sold out (%(num)d seats are left)", available
    )
    return SoldOut(detail % {"item": name or gettext("this item"), "num": available}, field=field)


def needs_of_registrations(catalog: CatalogView, registrations: Sequence[Any]) -> dict[UUID, int]:
    """The seats already-stored registrations occupy under the catalog's quotas (for giving them back
    or taking them again): event-wide quotas, their category's, and each add-on's."""
    needs: defaultdict[UUID, int] = defaultdict(int)
    for registration in registrations:
        for quota_id in (
            *catalog.event_quotas,
            *catalog.category_quotas.get(registration.category_id, ()),
            *(q for a in registration.add_ons for q in catalog.add_on_quotas.get(a.add_on_id, ())),
        ):
            needs[quota_id] += 1
    return dict(needs)
