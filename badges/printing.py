"""Printing badges: what each badge prints (``BadgeCard``), and batches for the print desk.

A batch is drawn in two steps because drawing 10,000 badges takes seconds: ``prepare_batch`` makes the cards
(and any missing badges), the caller commits and draws with no transaction open, and ``mark_printed`` counts the
batch in a second transaction, revoking earlier printings of badges printed again only once the PDF exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import anyio.to_thread
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from badges import keys, tokens
from badges.logo import BadgeLogo, keep_logo, kept_logo, prepare_logo
from badges.models import Badge
from badges.pdf import BadgeCard
from badges.schemas import PrintFilter
from badges.services import ensure_badges
from events.models import Event, EventLogo
from events.services import get_event
from podium import audit
from podium.db import begin_write, utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_, gettext
from podium.translated import localized
from registration.documents.receipts import event_dates
from registration.models import Category, Registration, RegistrationStatus

PRINTABLE_STATUSES = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.AWAITING_VERIFICATION.value)

# Ribbon colours for the usual categories; others get a stable colour from a palette by their code.
RIBBONS = {
    "member": "#1F5FAD",
    "non-member": "#5A6B7B",
    "student": "#2E8B57",
    "trainee": "#2E8B57",
    "patient-advocate": "#8E44AD",
    "government": "#7A5C12",
    "press": "#C0392B",
    "speaker": "#D35400",
    "exhibitor": "#16807A",
    "staff": "#111111",
}
_PALETTE = ("#1F5FAD", "#2E8B57", "#8E44AD", "#C0392B", "#D35400", "#16807A", "#7A5C12", "#5A6B7B")


def ribbon_colour(code: str) -> str:
    if code in RIBBONS:
        return RIBBONS[code]
    return _PALETTE[sum(code.encode()) % len(_PALETTE)]


async def badge_logos(db_session: AsyncSession, events: Sequence[Event]) -> dict[UUID, BadgeLogo]:
    """The logo each of these events prints on its badges, prepared once (``badges/logo.py``): an image this
    process prepared before is neither read nor decoded again; a new one is shrunk in a worker thread."""
    logos: dict[UUID, BadgeLogo] = {}
    missing: list[UUID] = []
    for event in events:
        if event.logo_digest is None:
            continue
        kept = kept_logo(event.logo_digest)
        if kept is not None:
            logos[event.id] = kept
        else:
            missing.append(event.id)
    if missing:
        rows = await db_session.execute(
            select(EventLogo.event_id, EventLogo.png).where(EventLogo.event_id.in_(missing))
        )
        for event_id, png in rows.tuples():
            logo = await anyio.to_thread.run_sync(prepare_logo, png)
            keep_logo(logo)
            logos[event_id] = logo
    return logos


async def registration_cards(
    db_session: AsyncSession,
    registrations: Sequence[Registration],
    secret_key: str,
    *,
    versions: Mapping[UUID, int] | None = None,
) -> list[BadgeCard]:
    """What each badge prints, in the order given (made badges for those that had none); ``versions`` gives
    the version to print instead of the current one (a batch draws reprints before it counts them)."""
    if not registrations:
        return []
    event_ids = {r.event_id for r in registrations}
    event_rows = {e.id: e for e in (await db_session.scalars(select(Event).where(Event.id.in_(event_ids)))).all()}
    for event_id in event_ids:
        await keys.event_key(db_session, event_id, secret_key)
    badges = await ensure_badges(db_session, [r.id for r in registrations])
    categories = {
        c.id: c for c in (await db_session.scalars(select(Category).where(Category.event_id.in_(event_ids)))).all()
    }
    logos = await badge_logos(db_session, list(event_rows.values()))
    signers: dict[UUID, tuple[bytes, Ed25519PrivateKey]] = {}
    cards: list[BadgeCard] = []
    for registration in registrations:
        event = event_rows[registration.event_id]
        if event.id not in signers:
            key_row = await keys.event_key(db_session, event.id, secret_key)
            signers[event.id] = (bytes.fromhex(key_row.kid), keys.signing_key(key_row, secret_key))
        kid, signer = signers[event.id]
        badge = badges[registration.id]
        version = versions.get(registration.id, badge.version) if versions else badge.version
        category = categories.get(registration.category_id)
        # In the attendee's language (their registration's), as their mails name it.
        category_name = localized(category.name, category.translations, "name", registration.locale) if category else ""
        cards.append(
            BadgeCard(
                first_name=registration.first_name,
                last_name=registration.last_name,
                affiliation=registration.affiliation,
                category=category_name,
                ribbon=ribbon_colour(category.code if category else ""),
                event_name=event.name,
                event_dates=event_dates(event),
                serial=badge.serial,
                token=tokens.issue(signer, kid, tokens.serial_from_text(badge.serial), version),
                version=version,
                brand_colour=event.brand_colour,
                logo=logos.get(event.id),
            )
        )
    return cards


async def selected_registrations(db_session: AsyncSession, event: Event, selection: PrintFilter) -> list[Registration]:
    """Printable registrations matching a batch filter, sorted by surname then first name (how desks file them)."""
    query = select(Registration).where(Registration.event_id == event.id, Registration.status.in_(PRINTABLE_STATUSES))
    if selection.categories:
        codes = await db_session.execute(
            select(Category.code, Category.id).where(
                Category.event_id == event.id, Category.code.in_(selection.categories)
            )
        )
        by_code = dict(codes.tuples().all())
        unknown = sorted(set(selection.categories) - set(by_code))
        if unknown:
            raise InvalidInput(
                gettext("no category %(code)s at this event") % {"code": ", ".join(unknown)}, field="categories"
            )
        query = query.where(Registration.category_id.in_(by_code.values()))
    surname = func.lower(Registration.last_name)
    if selection.surname_from:
        query = query.where(surname >= selection.surname_from.lower())
    if selection.surname_to:
        # Inclusive by prefix: "to M" takes "Mustermann" too.
        query = query.where(surname < selection.surname_to.lower() + "\U0010ffff")
    if selection.not_printed:
        printed = select(Badge.registration_id).where(Badge.event_id == event.id, Badge.print_count > 0)
        query = query.where(Registration.id.not_in(printed))
    query = query.order_by(surname, func.lower(Registration.first_name), Registration.id)
    return list((await db_session.scalars(query)).all())


def _reprint_versions(drawn: Mapping[UUID, tuple[int, int]]) -> dict[UUID, int]:
    """The version each badge of a batch prints with: the next one for badges printed before (printing them
    again revokes their earlier printings, as a single reprint does), the current one for first prints."""
    versions = {rid: version + 1 if printed else version for rid, (version, printed) in drawn.items()}
    if any(version > tokens.MAX_VERSION for version in versions.values()):
        raise InvalidInput(N_("a badge of this batch has been reprinted too often"), field="filter")
    return versions


async def mark_printed(
    db_session: AsyncSession, event_id: UUID, drawn: Mapping[UUID, tuple[int, int]], *, actor: str
) -> None:
    """Count the batch as printed and give reprinted badges their new version, in one transaction after the
    PDF is drawn, so a batch that fails to draw revokes nothing. ``drawn`` is each badge's (version, print
    count) when the batch was drawn; if one changed meanwhile (a reprint, another batch), the PDF holds
    stale badges and nothing is marked (409)."""
    if not drawn:
        return
    await begin_write(db_session)
    ids = list(drawn)
    await _refuse_changed(db_session, drawn)
    reprinted = [rid for rid, (_, printed) in drawn.items() if printed]
    now = utcnow()
    for start in range(0, len(reprinted), 500):
        await db_session.execute(
            update(Badge)
            .where(Badge.registration_id.in_(reprinted[start : start + 500]))
            .values(version=Badge.version + 1)
        )
    for start in range(0, len(ids), 500):
        await db_session.execute(
            update(Badge)
            .where(Badge.registration_id.in_(ids[start : start + 500]))
            .values(print_count=Badge.print_count + 1, printed_at=now, updated_at=now)
        )
    if reprinted:
        note = f"{len(reprinted)} badges printed again: their earlier printings no longer admit"
        _audit_batch(db_session, event_id, len(reprinted), actor, action="badges_reprinted", note=note)
    _audit_batch(db_session, event_id, len(ids), actor, action="badges_printed", note=f"{len(ids)} badges printed")


async def _refuse_changed(db_session: AsyncSession, drawn: Mapping[UUID, tuple[int, int]]) -> None:
    """Lock the batch's badges; 409 if any was reprinted or printed since the batch was drawn."""
    ids = list(drawn)
    for start in range(0, len(ids), 500):
        rows = await db_session.execute(
            select(Badge.registration_id, Badge.version, Badge.print_count)
            .where(Badge.registration_id.in_(ids[start : start + 500]))
            .with_for_update()
        )
        if any((version, count) != drawn[rid] for rid, version, count in rows.tuples()):
            raise Conflict(
                N_("badges of this batch were reprinted while it was being drawn: print the batch again"),
                field="filter",
                code="badges_changed",
            )


def _audit_batch(db_session: AsyncSession, event_id: UUID, badges: int, actor: str, *, action: str, note: str) -> None:
    audit.record_updated(
        db_session, "event", event_id, {}, {"badges": badges}, actor, event_id=event_id, action=action, note=note
    )


@dataclass(frozen=True)
class PrintBatch:
    """A batch's cards to draw, and what ``mark_printed`` checks and counts once they are drawn."""

    event_id: UUID
    cards: list[BadgeCard]
    drawn: dict[UUID, tuple[int, int]]


async def prepare_batch(
    db_session: AsyncSession, event_slug: str, selection: PrintFilter, secret_key: str
) -> PrintBatch:
    """Every badge the filter selects, as cards to draw; badges printed before get a new version (their earlier
    printings are revoked by ``mark_printed``, once the PDF is drawn).

    Two steps because drawing 10,000 badges takes seconds: the caller commits the badges made here, draws with
    no transaction open (no lock held meanwhile), then marks the batch printed in a second transaction."""
    event = await get_event(db_session, event_slug, with_children=False)
    registrations = await selected_registrations(db_session, event, selection)
    if not registrations:
        raise NotFound(N_("no badges match this filter"), field="filter")
    badges = await ensure_badges(db_session, [r.id for r in registrations])
    drawn = {rid: (badge.version, badge.print_count) for rid, badge in badges.items()}
    cards = await registration_cards(db_session, registrations, secret_key, versions=_reprint_versions(drawn))
    return PrintBatch(event.id, cards, drawn)
