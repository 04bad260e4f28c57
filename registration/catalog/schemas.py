"""Wire types of the catalog: what organizers send to build it and what the public catalog shows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from podium.schema import Struct, line, paragraph
from podium.translated import Translatable, Translations
from registration.schemas import ItemCode

Amount = Annotated[int, msgspec.Meta(ge=0, le=10_000_000, description="minor units (cents)")]
Seats = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Position = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
PromoCodeText = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9-]{3,40}$")]
AwareDateTime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Eligibility = Literal["open", "member_number", "verification", "access_code"]
AddOnKind = Literal["workshop", "training", "reception", "other"]
Codes = Annotated[list[ItemCode], msgspec.Meta(max_length=100)]
# What a category's or add-on's ``translations`` may hold, with the base name's limit (``podium.translated``).
NAME_TEXTS = {"name": Translatable(120)}


class PriceWindowIn(Struct):
    label: Annotated[str, line(40)]
    starts_on: dt.date
    amount: Amount


class PriceWindowRead(Struct):
    label: str
    starts_on: dt.date
    amount: int


Windows = Annotated[list[PriceWindowIn], msgspec.Meta(min_length=1, max_length=12)]


class CategoryCreate(Struct):
    code: ItemCode
    name: Annotated[str, line(120)]
    price_windows: Windows
    description: Annotated[str, paragraph(5000)] = ""
    eligibility: Eligibility = "open"
    access_code: Annotated[str, line(64)] | None = None
    position: Position = 0
    capacity: Seats | None = None
    translations: Translations = msgspec.field(default_factory=dict)


class CategoryUpdate(Struct):
    name: Annotated[str, line(120)] | UnsetType = UNSET
    description: Annotated[str, paragraph(5000)] | UnsetType = UNSET
    eligibility: Eligibility | UnsetType = UNSET
    access_code: Annotated[str, line(64)] | UnsetType | None = UNSET
    position: Position | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    capacity: Seats | UnsetType | None = UNSET
    price_windows: Windows | UnsetType = UNSET
    translations: Translations | UnsetType = UNSET


class CategoryRead(Struct):
    id: UUID
    code: str
    name: str
    description: str
    eligibility: Eligibility
    has_access_code: bool
    position: int
    is_active: bool
    capacity: int | None
    used: int | None
    price_windows: list[PriceWindowRead]
    translations: Translations


class AddOnCreate(Struct):
    code: ItemCode
    name: Annotated[str, line(120)]
    amount: Amount
    kind: AddOnKind = "other"
    description: Annotated[str, paragraph(5000)] = ""
    category_codes: Codes = msgspec.field(default_factory=list)
    capacity: Seats | None = None
    translations: Translations = msgspec.field(default_factory=dict)


class AddOnUpdate(Struct):
    name: Annotated[str, line(120)] | UnsetType = UNSET
    amount: Amount | UnsetType = UNSET
    kind: AddOnKind | UnsetType = UNSET
    description: Annotated[str, paragraph(5000)] | UnsetType = UNSET
    category_codes: Codes | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    capacity: Seats | UnsetType | None = UNSET
    translations: Translations | UnsetType = UNSET


class AddOnRead(Struct):
    id: UUID
    code: str
    name: str
    description: str
    kind: AddOnKind
    amount: int
    category_codes: list[str]
    is_active: bool
    capacity: int | None
    used: int | None
    translations: Translations


class QuotaCreate(Struct):
    """A shared capacity: ``scope='event'`` counts every attendee; ``items`` counts the listed items."""

    name: Annotated[str, line(120)]
    size: Seats
    scope: Literal["event", "items"] = "items"
    category_codes: Codes = msgspec.field(default_factory=list)
    add_on_codes: Codes = msgspec.field(default_factory=list)


class QuotaUpdate(Struct):
    name: Annotated[str, line(120)] | UnsetType = UNSET
    size: Seats | UnsetType = UNSET


class QuotaRead(Struct):
    id: UUID
    name: str
    scope: Literal["event", "items"]
    size: int
    used: int
    available: int
    category_codes: list[str]
    add_on_codes: list[str]


class PromoCodeCreate(Struct):
    code: PromoCodeText
    kind: Literal["percent", "fixed"]
    value: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    category_codes: Codes = msgspec.field(default_factory=list)
    add_on_codes: Codes = msgspec.field(default_factory=list)
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    valid_from: AwareDateTime | None = None
    valid_until: AwareDateTime | None = None


class PromoCodeUpdate(Struct):
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=1000000)] | UnsetType | None = UNSET
    valid_from: AwareDateTime | UnsetType | None = UNSET
    valid_until: AwareDateTime | UnsetType | None = UNSET


class PromoCodeRead(Struct):
    id: UUID
    code: str
    kind: Literal["percent", "fixed"]
    value: int
    category_codes: list[str]
    add_on_codes: list[str]
    max_uses: int | None
    used: int
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None


Options = Annotated[list[Annotated[str, line(100)]], msgspec.Meta(max_length=50)]


class QuestionCreate(Struct):
    code: ItemCode
    label: Annotated[str, line(200)]
    kind: Literal["text", "choice", "boolean"] = "text"
    required: bool = False
    options: Options = msgspec.field(default_factory=list)
    position: Position = 0


class QuestionUpdate(Struct):
    label: Annotated[str, line(200)] | UnsetType = UNSET
    required: bool | UnsetType = UNSET
    options: Options | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class QuestionRead(Struct):
    id: UUID
    code: str
    label: str
    kind: Literal["text", "choice", "boolean"]
    required: bool
    options: list[str]
    position: int


class RegistrationSettingsUpdate(Struct):
    hold_minutes: Annotated[int, msgspec.Meta(ge=1, le=120)] | UnsetType = UNSET
    low_income_discount_pct: Percent | UnsetType = UNSET
    lower_middle_income_discount_pct: Percent | UnsetType = UNSET
    upper_middle_income_discount_pct: Percent | UnsetType = UNSET


class RegistrationSettingsRead(Struct):
    hold_minutes: int
    low_income_discount_pct: int
    lower_middle_income_discount_pct: int
    upper_middle_income_discount_pct: int


class CatalogWindow(Struct):
    label: str
    starts_on: dt.date
    amount: int


class CatalogCategory(Struct):
    code: str
    name: str
    description: str
    eligibility: Eligibility
    on_sale: bool
    price: int | None
    window: str | None
    next_window: CatalogWindow | None
    available: int | None
    sold_out: bool


class CatalogAddOn(Struct):
    code: str
    name: str
    description: str
    kind: AddOnKind
    amount: int
    category_codes: list[str]
    available: int | None
    sold_out: bool


class CatalogRead(Struct):
    """What a buyer needs to choose: current prices, availability (null = unlimited), questions."""

    event: str
    name: str
    currency: str
    timezone: str
    registration_open: bool
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    hold_minutes: int
    income_discounts: dict[str, int]
    categories: list[CatalogCategory]
    add_ons: list[CatalogAddOn]
    questions: list[QuestionRead]
