"""A realistic catalog built straight into the database, so order tests don't depend on the catalog API."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import begin_autocommit, create_engine
from podium.mail import RenderedMail
from podium.main.unit_of_work import session_maker
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.attachments import render_message
from registration.models import (
    AddOn,
    Category,
    Order,
    PriceWindow,
    PromoCode,
    Question,
    Quota,
    QuotaItem,
    RegistrationSettings,
)
from registration.orders import placing as order_placing

NY = "America/New_York"
PRESS_CODE = "PRESS-2027"


@asynccontextmanager
async def db_session_for(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session with the hooks the app's and the jobs' have (a registration a test ends gives its seats back)."""
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            yield db_session
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class CatalogFixture:
    slug: str
    event_id: uuid.UUID
    member: Category
    non_member: Category
    student: Category
    press: Category
    workshop: AddOn
    reception: AddOn
    workshop_quota: Quota | None
    member_quota: Quota | None
    event_quota: Quota | None

    @property
    def workshop_quota_id(self) -> uuid.UUID:
        """For tests that built the catalog with workshop seats: without them there is no such quota."""
        assert self.workshop_quota is not None, "build_catalog(workshop_seats=...) makes the workshop quota"
        return self.workshop_quota.id

    @property
    def event_quota_id(self) -> uuid.UUID:
        """For tests that built the catalog with event seats: without them there is no such quota."""
        assert self.event_quota is not None, "build_catalog(event_seats=...) makes the whole-event quota"
        return self.event_quota.id


async def build_catalog(
    db_session: AsyncSession,
    *,
    today: dt.date | None = None,
    workshop_seats: int | None = None,
    member_seats: int | None = None,
    event_seats: int | None = None,
    comp_max_uses: int = 3,
    hold_minutes: int = 15,
    opens_in_days: int = -1,
) -> CatalogFixture:
    """A published event whose registration is open: four categories (one per eligibility rule), a workshop
    add-on, a members-only reception, three promo codes, two questions and the income-tier discounts."""
    today = today or dt.datetime.now(ZoneInfo(NY)).date()
    slug = f"meeting-{secrets.token_hex(4)}"
    event = Event(
        slug=slug,
        name="Test Meeting",
        kind="annual_meeting",
        timezone=NY,
        venue="Hynes",
        city="Boston",
        currency="USD",
        start_date=today + dt.timedelta(days=60),
        end_date=today + dt.timedelta(days=64),
        status="published",
        registration_opens_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=opens_in_days),
    )
    db_session.add(event)
    await db_session.flush()
    db_session.add(
        RegistrationSettings(
            event_id=event.id,
            hold_minutes=hold_minutes,
            low_income_discount_pct=50,
            lower_middle_income_discount_pct=30,
            upper_middle_income_discount_pct=10,
        )
    )

    def category(code: str, name: str, eligibility: str, amounts: tuple[int, int], **extra: object) -> Category:
        return Category(
            event_id=event.id,
            code=code,
            name=name,
            eligibility=eligibility,
            price_windows=[
                PriceWindow(label="early_bird", starts_on=today - dt.timedelta(days=30), amount=amounts[0]),
                PriceWindow(label="regular", starts_on=today + dt.timedelta(days=10), amount=amounts[1]),
            ],
            **extra,
        )

    member = category("member", "Member", "member_number", (40_000, 50_000))
    non_member = category("non-member", "Non-member", "open", (60_000, 70_000))
    student = category("student", "Student / trainee", "verification", (15_000, 20_000))
    press = category("press", "Press", "access_code", (0, 0), access_code=PRESS_CODE)
    db_session.add_all([member, non_member, student, press])
    await db_session.flush()
    workshop = AddOn(event_id=event.id, code="workshop", name="Grant Writing Workshop", kind="workshop", amount=12_000)
    reception = AddOn(
        event_id=event.id,
        code="reception",
        name="Members' Reception",
        kind="reception",
        amount=5_000,
        category_ids=[str(member.id)],
    )
    db_session.add_all([workshop, reception])
    await db_session.flush()

    async def quota(name: str, size: int | None, scope: str = "items", **item: object) -> Quota | None:
        if size is None:
            return None
        row = Quota(event_id=event.id, name=name, size=size, used=0, scope=scope)
        db_session.add(row)
        await db_session.flush()
        if item:
            db_session.add(QuotaItem(quota_id=row.id, **item))
        return row

    workshop_quota = await quota("Grant Writing Workshop", workshop_seats, add_on_id=workshop.id)
    member_quota = await quota("Member", member_seats, category_id=member.id)
    event_quota = await quota("Whole meeting", event_seats, scope="event")
    db_session.add_all(
        [
            PromoCode(event_id=event.id, code="SAVE10", kind="percent", value=10),
            PromoCode(
                event_id=event.id,
                code="COMP",
                kind="percent",
                value=100,
                category_ids=[str(member.id)],
                max_uses=comp_max_uses,
            ),
            PromoCode(event_id=event.id, code="WORKSHOP50", kind="fixed", value=5_000, add_on_ids=[str(workshop.id)]),
            Question(
                event_id=event.id,
                code="dietary",
                label="Dietary needs",
                kind="choice",
                required=True,
                options=["none", "vegetarian", "vegan"],
                position=1,
            ),
            Question(event_id=event.id, code="accessibility", label="Accessibility needs", kind="text", position=2),
        ]
    )
    await db_session.commit()
    return CatalogFixture(
        slug=slug,
        event_id=event.id,
        member=member,
        non_member=non_member,
        student=student,
        press=press,
        workshop=workshop,
        reception=reception,
        workshop_quota=workshop_quota,
        member_quota=member_quota,
        event_quota=event_quota,
    )


def attendee(email: str | None = None, **overrides: object) -> dict[str, object]:
    """A valid member attendee as a JSON body part; override any field."""
    body: dict[str, object] = {
        "email": email or f"person-{secrets.token_hex(5)}@example.org",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "country": "US",
        "category": "member",
        "member_number": "M-12345",
        "answers": {"dietary": "none"},
    }
    body.update(overrides)
    return body


def order_body(*attendees: dict[str, object], **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "buyer_name": "Grace Hopper",
        "buyer_email": "buyer@example.org",
        "attendees": list(attendees) or [attendee()],
    }
    body.update(overrides)
    return body


async def outbox_mails(db_session: AsyncSession, *criteria: Any) -> list[tuple[OutboxMessage, RenderedMail]]:
    """Outbox rows matching ``criteria`` (oldest first), each with its mail as it would be rendered now."""
    rows = (
        await db_session.scalars(
            select(OutboxMessage).where(*criteria).order_by(OutboxMessage.created_at, OutboxMessage.dedupe_key)
        )
    ).all()
    return [(row, await render_message(db_session, row.template, row.context)) for row in rows]


async def place_committed(db_session: AsyncSession, **kwargs: Any) -> tuple[Order, bool]:
    """``order_placing.place_order`` in its own transaction, the way ``controllers.place_and_commit`` owns it:
    PostgreSQL's autocommit when the engine has it, committed at the end; ``(order, created)``."""
    autocommit = await begin_autocommit(db_session)
    placed = await order_placing.place_order(db_session, autocommit=autocommit, **kwargs)
    await db_session.commit()
    return placed.order, placed.created
