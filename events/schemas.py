"""Wire types for events, rooms and tracks. Shape checks live here; cross-field rules in services."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from events.models import EventKind, EventStatus
from podium.schema import Struct, line, paragraph
from podium.translated import Translations

Slug = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=64,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        description="lower-case letters, digits and single hyphens; used in URLs",
        examples=["annual-meeting-2027"],
    ),
]
Kind = EventKind
Status = EventStatus
TimeZoneName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["America/New_York"])]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
AwareDateTime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Capacity = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Colour = Annotated[str, msgspec.Meta(pattern=r"^#[0-9A-Fa-f]{6}$", examples=["#1f6feb"])]
ContentLocale = Annotated[
    str, msgspec.Meta(max_length=16, description="a shipped locale: en, es, fr, pt_BR, zh_Hans", examples=["en"])
]


class RoomCreate(Struct):
    name: Annotated[str, line(120)]
    capacity: Capacity


class RoomUpdate(Struct):
    name: Annotated[str, line(120)] | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET


class RoomRead(Struct):
    id: UUID
    name: str
    capacity: int


class TrackCreate(Struct):
    name: Annotated[str, line(120)]
    colour: Colour


class TrackUpdate(Struct):
    name: Annotated[str, line(120)] | UnsetType = UNSET
    colour: Colour | UnsetType = UNSET


class TrackRead(Struct):
    id: UUID
    name: str
    colour: str


class EventCreate(Struct):
    slug: Slug
    name: Annotated[str, line(200)]
    kind: Kind
    timezone: TimeZoneName
    venue: Annotated[str, line(200)]
    start_date: dt.date
    end_date: dt.date
    city: Annotated[str, line(120, min_length=0)] = ""
    description: Annotated[str, paragraph(20_000)] = ""
    currency: Currency = "USD"
    registration_opens_at: AwareDateTime | None = None
    registration_closes_at: AwareDateTime | None = None
    default_locale: ContentLocale = "en"
    translations: Translations = msgspec.field(default_factory=dict)


class EventUpdate(Struct):
    """PATCH: only the fields sent change; ``null`` clears a registration boundary."""

    slug: Slug | UnsetType = UNSET
    name: Annotated[str, line(200)] | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    timezone: TimeZoneName | UnsetType = UNSET
    venue: Annotated[str, line(200)] | UnsetType = UNSET
    start_date: dt.date | UnsetType = UNSET
    end_date: dt.date | UnsetType = UNSET
    city: Annotated[str, line(120, min_length=0)] | UnsetType = UNSET
    description: Annotated[str, paragraph(20_000)] | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    registration_opens_at: AwareDateTime | UnsetType | None = UNSET
    registration_closes_at: AwareDateTime | UnsetType | None = UNSET
    default_locale: ContentLocale | UnsetType = UNSET
    translations: Translations | UnsetType = UNSET


class EventSummary(Struct):
    id: UUID
    slug: str
    name: str
    kind: Kind
    status: Status
    timezone: str
    venue: str
    city: str
    start_date: dt.date
    end_date: dt.date
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None


class EventRead(EventSummary):
    """``description`` is the base text for organizers and the reader's language on the public read."""

    description: str
    default_locale: str
    translations: Translations
    currency: str
    published_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    rooms: list[RoomRead]
    tracks: list[TrackRead]


class BrandUpdate(Struct):
    """``colour: null`` takes the colour away."""

    colour: Colour | None


class BrandRead(Struct):
    """``ink`` is the text colour drawn on ``colour`` (black or white, whichever contrasts more)."""

    colour: str | None
    ink: str | None
    logo_url: str | None


class TargetUpdate(Struct):
    """What the registrations chart compares with; ``null`` clears either."""

    target: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None
    previous_edition: Slug | None = None


class TargetRead(Struct):
    target: int | None
    previous_edition: str | None
