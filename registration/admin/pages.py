"""Organizer pages for registrations: search and filter, figures, CSV, verification decisions, cancel,
refund, comp registrations. The same services as the organizer API; forms post back and show mistakes next
to the field (never a 500)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.auth.schemas import CurrentUser
from podium.charts import Bar, Curve, bar_chart, column_chart, cumulative_chart
from podium.errors import DomainError, NotFound
from podium.formatting import format_money, parse_money
from podium.forms import FormData
from podium.i18n import N_, gettext
from podium.pages import form_errors, redirect, render
from registration import catalog
from registration.admin import services as admin
from registration.admin.services import DailyFigures, RegistrationStats
from registration.cancellations import services as cancellations
from registration.controllers import place_and_commit
from registration.models import Category, Order, Registration, RegistrationStatus
from registration.orders.uploads import documents_of
from registration.schemas import OrderCreate
from registration.verification import services as verification

PAGE_SIZE = 50
STATUSES = tuple(RegistrationStatus)


def _actor(request: Request[Any, Any, Any]) -> str:
    user = request.scope.get("user")
    return f"organizer:{user.email}" if isinstance(user, CurrentUser) else "organizer"


def _running_total(event: Event, daily: Sequence[admin.DailyFigures]) -> list[tuple[int, int]]:
    """(days before the event's start, paid registrations so far) per day: editions of other years line up."""
    total, points = 0, []
    for figures in daily:
        total += figures.registrations
        points.append(((event.start_date - dt.date.fromisoformat(figures.day)).days, total))
    return points


async def _previous_edition(db_session: AsyncSession, event: Event) -> Event | None:
    """The edition the organizer named, if it still exists (a slug, not a key: see events/models.py)."""
    if not event.previous_edition:
        return None
    try:
        return await get_event(db_session, event.previous_edition, with_children=False)
    except NotFound:
        return None


async def _charts(
    db_session: AsyncSession, event: Event, daily: Sequence[DailyFigures], stats: RegistrationStats
) -> tuple[dict[str, Markup], bool]:
    """The registration page's charts, and whether the running total is compared (with a target or with the
    previous edition's curve)."""
    curves = [Curve(event.name, "chart-line", _running_total(event, daily))]
    previous = await _previous_edition(db_session, event)
    if previous is not None:
        earlier = await admin.registrations_per_day(db_session, previous)
        curves.append(Curve(previous.name, "chart-line-previous", _running_total(previous, earlier)))
    charts = {
        "running_total": cumulative_chart(
            "registrations-running-total",
            gettext("Paid registrations so far, by days before the start"),
            curves,
            event.registration_target,
        ),
        "per_day": column_chart(
            "registrations-per-day",
            gettext("Paid registrations per day"),
            [Bar(d.day[5:], d.registrations, str(d.registrations)) for d in daily],
        ),
        "revenue_per_day": column_chart(
            "revenue-per-day",
            gettext("Revenue per day (%(currency)s)") % {"currency": event.currency},
            [Bar(d.day[5:], d.revenue, format_money(d.revenue, event.currency)) for d in daily],
        ),
        "by_category": bar_chart(
            "registrations-by-category",
            gettext("Confirmed registrations by category"),
            [Bar(row.name, row.confirmed, str(row.confirmed)) for row in stats.categories],
        ),
    }
    return charts, bool(event.registration_target or previous is not None)


class OrganizerRegistrationPages(Controller):
    path = "/organizer/events/{slug:str}"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        *,
        q: str = "",
        category: str = "",
        status: str = "",
        page: int = 1,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        comp_values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        event = await get_event(db_session, slug)
        total, items = await admin.search_registrations(
            db_session,
            event,
            q=q or None,
            category=category or None,
            status=status if status in STATUSES else None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        categories = (
            await db_session.scalars(select(Category).where(Category.event_id == event.id).order_by(Category.position))
        ).all()
        stats = await admin.registration_stats(db_session, event)
        daily = await admin.registrations_per_day(db_session, event)
        charts, compared = await _charts(db_session, event, daily, stats)
        questions = await catalog.list_questions(db_session, slug)
        uploaded = await documents_of(db_session, [item.id for item in items])
        query = {k: v for k, v in {"q": q, "category": category, "status": status}.items() if v}
        return render(
            request,
            "organizer/registrations.html",
            status_code=status_code,
            event=event,
            items=items,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            q=q,
            category=category,
            status=status,
            statuses=STATUSES,
            categories=categories,
            stats=stats,
            daily=daily,
            charts=charts,
            compared=compared,
            money=lambda amount: format_money(amount, event.currency),
            query=urlencode(query),
            csv_query=urlencode(query),
            notice=notice,
            errors=errors or {},
            comp=comp_values or {},
            questions=questions,
            documents=uploaded,
            # A fresh key per drawn form: the bank payment it sends is recorded once (``registration.bank.pages``).
            bank_key=lambda: secrets.token_urlsafe(12),
        )

    @get("/registrations")
    async def registrations(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
        notice: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(
            request,
            db_session,
            slug,
            q=" ".join((q or "").split())[:200],
            category=(category or "")[:40],
            status=status or "",
            page=max(1, min(page, 100_000)),
            notice=(notice or "")[:200] or None,
        )

    async def _registration(self, db_session: AsyncSession, slug: str, registration_id: UUID) -> Registration:
        event = await get_event(db_session, slug, with_children=False)
        registration = await db_session.get(Registration, registration_id)
        if registration is None or registration.event_id != event.id:
            raise NotFound(N_("no such registration at this event"), field="registration_id")
        return registration

    def _back(self, slug: str, notice: str) -> Redirect:
        return redirect(f"/organizer/events/{slug}/registrations?{urlencode({'notice': notice})}")

    @post("/registrations/{registration_id:uuid}/verification")
    async def verification(
        self,
        slug: FromPath[str],
        registration_id: FromPath[UUID],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug)
        approve = data.get("decision") == "approve"
        choice = data.get("on_reject", "cancel_and_refund")
        move_to = choice.removeprefix("move:")[:40] if choice.startswith("move:") else None
        try:
            registration = await verification.decide(
                db_session,
                event,
                registration_id,
                approve=approve,
                note=data.get("note", "")[:2000],
                actor=_actor(request),
                on_reject="move_category" if move_to else "cancel_and_refund",
                move_to=move_to,
            )
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            await db_session.rollback()
            return await self._page(request, db_session, slug, errors=form_errors(exc), status_code=exc.status_code)
        await db_session.commit()
        name = f"{registration.first_name} {registration.last_name}"
        said = (
            gettext("Verification approved for %(name)s.")
            if approve
            else gettext("Verification rejected for %(name)s.")
        )
        return self._back(slug, said % {"name": name})

    @post("/registrations/{registration_id:uuid}/cancel")
    async def cancel(
        self,
        slug: FromPath[str],
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        registration = await self._registration(db_session, slug, registration_id)
        order = await db_session.get_one(Order, registration.order_id)
        name = f"{registration.first_name} {registration.last_name}"
        try:
            _, _, _, refund = await cancellations.cancel(
                db_session, order, registration_ids=[registration_id], actor=_actor(request), by_organizer=True
            )
        except DomainError as exc:
            await db_session.rollback()
            return await self._page(request, db_session, slug, errors=form_errors(exc), status_code=exc.status_code)
        await db_session.commit()
        if refund:
            due = format_money(refund.amount, order.currency)
            return self._back(
                slug, gettext("Cancelled %(name)s. Refund due: %(amount)s.") % {"name": name, "amount": due}
            )
        return self._back(slug, gettext("Cancelled %(name)s.") % {"name": name})

    @post("/orders/{order_id:uuid}/refund")
    async def refund(
        self,
        slug: FromPath[str],
        order_id: FromPath[UUID],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug, with_children=False)
        order = await db_session.get(Order, order_id)
        if order is None or order.event_id != event.id:
            raise NotFound(N_("no such order at this event"), field="order_id")
        try:
            amount = parse_money(data.get("amount", ""), order.currency)
        except ValueError:
            errors = {"amount": gettext("Enter an amount in %(currency)s, e.g. 120.00") % {"currency": order.currency}}
            return await self._page(request, db_session, slug, errors=errors, status_code=422)
        reason = " ".join(data.get("reason", "").split())[:200] or "refund by organizer"
        try:
            refund = await cancellations.refund(db_session, order, amount=amount, reason=reason, actor=_actor(request))
        except DomainError as exc:
            await db_session.rollback()
            return await self._page(request, db_session, slug, errors=form_errors(exc), status_code=exc.status_code)
        await db_session.commit()
        notice = gettext("Refund of %(amount)s recorded (%(status)s).")
        return self._back(
            slug, notice % {"amount": format_money(refund.amount, order.currency), "status": gettext(refund.status)}
        )

    @post("/comp-registrations")
    async def comp(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        fields = ("first_name", "last_name", "email", "country", "category", "affiliation", "member_number")
        attendee: dict[str, Any] = {k: data.get(k, "").strip() for k in fields if data.get(k, "").strip()}
        if "country" in attendee:
            attendee["country"] = attendee["country"].upper()
        answers: dict[str, Any] = {}
        for question in await catalog.list_questions(db_session, slug):
            value = data.get(f"answer:{question.code}", "").strip()
            if question.kind == "boolean":
                answers[question.code] = value == "yes"
            elif value:
                answers[question.code] = value
        attendee["answers"] = answers
        missing = {
            f: gettext("Required.") for f in ("first_name", "last_name", "email", "country") if f not in attendee
        }
        if missing:
            return await self._page(request, db_session, slug, errors=missing, comp_values=dict(data), status_code=422)
        body = {
            "buyer_name": f"{attendee.get('first_name', '')} {attendee.get('last_name', '')}".strip() or "Organizer",
            "buyer_email": attendee.get("email", ""),
            "attendees": [attendee],
        }
        try:
            payload = msgspec.convert(body, OrderCreate)
            await place_and_commit(
                db_session, state.settings, payload, event_slug=slug, client=None, actor=_actor(request)
            )
        except (msgspec.ValidationError, DomainError) as exc:
            errors = {}
            for key, message in form_errors(exc).items():
                name = key.rsplit(".", 1)[-1].replace("buyer_", "")
                errors[f"answer:{name}" if ".answers." in key else name] = message
            status_code = getattr(exc, "status_code", 422)
            return await self._page(
                request, db_session, slug, errors=errors, comp_values=dict(data), status_code=status_code
            )
        name = f"{attendee['first_name']} {attendee['last_name']}"
        return self._back(slug, gettext("Comp registration for %(name)s confirmed.") % {"name": name})
