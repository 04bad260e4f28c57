"""What an event sells and on what terms: categories and their price windows, add-ons, the quotas they draw
on, promo codes, questions, the self-cancellation fee schedule and the per-event settings.

Every capacity is a ``Quota`` row with a ``used`` counter that only ever moves through one conditional
UPDATE (``used + n <= size``), which is what keeps seats exact under any concurrency.
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from podium.db import Base
from podium.enums import in_sql


class Eligibility(enum.StrEnum):
    OPEN = "open"
    MEMBER_NUMBER = "member_number"
    VERIFICATION = "verification"
    ACCESS_CODE = "access_code"


class RegistrationSettings(Base):
    """Per-event rules that are not items: hold time and the equitable-access discounts."""

    __tablename__ = "registration_settings"
    __table_args__ = (
        CheckConstraint("hold_minutes between 1 and 120", name="hold_minutes"),
        CheckConstraint(
            "low_income_discount_pct between 0 and 100 and lower_middle_income_discount_pct between 0 and 100 "
            "and upper_middle_income_discount_pct between 0 and 100",
            name="income_discounts",
        ),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=15)
    low_income_discount_pct: Mapped[int] = mapped_column(Integer, default=0)
    lower_middle_income_discount_pct: Mapped[int] = mapped_column(Integer, default=0)
    upper_middle_income_discount_pct: Mapped[int] = mapped_column(Integer, default=0)


class Category(Base):
    __tablename__ = "reg_category"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_reg_category_event_code"),
        CheckConstraint(in_sql("eligibility", Eligibility), name="eligibility"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    # The name in other languages than the event's default (``podium.translated``).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JsonB, default=dict, server_default=text("'{}'"))
    description: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(String(20), default=Eligibility.OPEN.value)
    access_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The category's own capacity, if it has one (shared and event-wide quotas are separate rows).
    capacity_quota_id: Mapped[UUID | None] = mapped_column(ForeignKey("quota.id", ondelete="SET NULL"), nullable=True)

    price_windows: Mapped[list[PriceWindow]] = relationship(
        order_by="PriceWindow.starts_on", cascade="all, delete-orphan", lazy="selectin"
    )


class PriceWindow(Base):
    """A price from local midnight of ``starts_on`` (event time zone) until the next window starts."""

    __tablename__ = "price_window"
    __table_args__ = (
        UniqueConstraint("category_id", "starts_on", name="uq_price_window_start"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    category_id: Mapped[UUID] = mapped_column(ForeignKey("reg_category.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)


class AddOn(Base):
    __tablename__ = "add_on"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_add_on_event_code"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("kind in ('workshop', 'training', 'reception', 'other')", name="kind"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    # The name in other languages than the event's default (``podium.translated``).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JsonB, default=dict, server_default=text("'{}'"))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="other")
    amount: Mapped[int] = mapped_column(Integer)
    # Empty means every category may buy it.
    category_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity_quota_id: Mapped[UUID | None] = mapped_column(ForeignKey("quota.id", ondelete="SET NULL"), nullable=True)


class Quota(Base):
    """A number of seats shared by its items; ``scope='event'`` counts every attendee of the event."""

    __tablename__ = "quota"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size"),
        CheckConstraint("used >= 0", name="used"),
        # The last word on capacity: a counter pushed past its size fails the statement (see ``holds``).
        CheckConstraint("used <= size", name="fits"),
        CheckConstraint("scope in ('event', 'items')", name="scope"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    scope: Mapped[str] = mapped_column(String(10), default="items")

    @hybrid_property
    def seats_left(self) -> int:
        """The seats still free, one definition for Python and for queries (``select(Quota.seats_left)``); the
        CHECKs keep it between 0 and ``size``."""
        return self.size - self.used


class QuotaItem(DefaultBase):
    __tablename__ = "quota_item"
    __table_args__ = (
        CheckConstraint("(category_id is null) <> (add_on_id is null)", name="one_item"),
        UniqueConstraint("quota_id", "category_id", "add_on_id", name="uq_quota_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    quota_id: Mapped[UUID] = mapped_column(ForeignKey("quota.id", ondelete="CASCADE"))
    category_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("reg_category.id", ondelete="CASCADE"), nullable=True, index=True
    )
    add_on_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("add_on.id", ondelete="CASCADE"), nullable=True, index=True
    )


class PromoCode(Base):
    __tablename__ = "promo_code"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_promo_code_event_code"),
        CheckConstraint("kind in ('percent', 'fixed')", name="kind"),
        CheckConstraint("value >= 0", name="value"),
        CheckConstraint("used >= 0", name="used"),
        CheckConstraint("max_uses is null or used <= max_uses", name="max_uses"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(Integer)
    category_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    add_on_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    valid_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class Question(Base):
    __tablename__ = "reg_question"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_reg_question_event_code"),
        CheckConstraint("kind in ('text', 'choice', 'boolean')", name="kind"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="text")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[str]] = mapped_column(JsonB, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CancellationFeeRule(Base):
    """Self-cancellation fee: ``fee_pct`` applies to cancellations made before local midnight ending ``until``."""

    __tablename__ = "cancellation_fee_rule"
    __table_args__ = (
        UniqueConstraint("event_id", "until", name="uq_cancellation_fee_rule_until"),
        CheckConstraint("fee_pct between 0 and 100", name="fee_pct"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    until: Mapped[dt.date] = mapped_column(Date)
    fee_pct: Mapped[int] = mapped_column(Integer)
