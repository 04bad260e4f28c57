"""What every registration mail says about its event, its people and their links (``registration.mail.services`` and
``registration.mail.order_mail`` write the mails)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import brand_of, logo_path
from events.models import Event
from podium.translated import localized
from registration.models import AddOn, Category, Order, Registration, RegistrationStatus


def event_context(event: Event) -> dict[str, Any]:
    """What every template may say about the event; ``id`` finds the event's wording when sent."""
    return {
        "id": str(event.id),
        "slug": event.slug,
        "name": event.name,
        "timezone": event.timezone,
        "start_date": event.start_date.isoformat(),
        "end_date": event.end_date.isoformat(),
        "venue": event.venue,
        "city": event.city,
        "currency": event.currency,
        # The brand as it was when the mail was written; older rows lack these keys (templates use .get).
        "brand_colour": event.brand_colour,
        "brand_ink": brand_of(event).ink,
        "logo_path": logo_path(event),
    }


def order_link(order: Order, *, versioned: bool = False) -> str:
    """The placeholder of the buyer's order link; versioned, it stays this version's link (dead once the
    link is regenerated) instead of whatever link is current when the mail goes out."""
    return f"{{order_link:{order.id}:{order.secret_version}}}" if versioned else f"{{order_link:{order.id}}}"


def registration_link(registration: Registration) -> str:
    """The placeholder of this holder's link: bound to today's version, so if the registration is transferred
    before the mail goes out, the mail carries this holder's (then dead) link, never the new holder's."""
    return f"{{registration_link:{registration.id}:{registration.secret_version}}}"


async def event_of(db_session: AsyncSession, event_id: object) -> Event:
    event = await db_session.get(Event, event_id)
    if event is None:  # the foreign key makes this impossible short of a broken database
        raise LookupError(f"no event {event_id}")
    return event


class NamedItem(Protocol):
    """A category or add-on as a mail names it: its base name and the names in other languages."""

    @property
    def name(self) -> str: ...

    @property
    def translations(self) -> Mapping[str, Mapping[str, str]]: ...


async def names_of(db_session: AsyncSession, event_id: UUID) -> tuple[dict[UUID, NamedItem], dict[UUID, NamedItem]]:
    categories = await db_session.execute(
        select(Category.id, Category.name, Category.translations).where(Category.event_id == event_id)
    )
    add_ons = await db_session.execute(
        select(AddOn.id, AddOn.name, AddOn.translations).where(AddOn.event_id == event_id)
    )
    return {row.id: row for row in categories}, {row.id: row for row in add_ons}


def item_name(items: Mapping[UUID, NamedItem], item_id: UUID, fallback: str, locale: str) -> str:
    """A category's or add-on's name in ``locale`` where the organizer gave one, else its base name."""
    item = items.get(item_id)
    return fallback if item is None else localized(item.name, item.translations, "name", locale)


def attendee_context(
    registration: Registration,
    categories: Mapping[UUID, NamedItem],
    add_ons: Mapping[UUID, NamedItem],
    locale: str,
) -> dict[str, Any]:
    """An attendee as a mail in ``locale`` names them: category and add-ons in that language where given."""
    return {
        "name": f"{registration.first_name} {registration.last_name}",
        "category": item_name(categories, registration.category_id, "Registration", locale),
        "add_ons": [item_name(add_ons, a.add_on_id, "Add-on", locale) for a in registration.add_ons],
        "waiting": registration.status == RegistrationStatus.AWAITING_VERIFICATION,
    }
