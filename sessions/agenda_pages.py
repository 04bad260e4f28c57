"""The attendee's own page, opened by the secret link in their confirmation mail (or from the buyer's order
page): their registration, their agenda by day with overlap warnings, adding sessions from a program search,
and the private calendar feed (subscribe, copy, revoke)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import page_brand
from events.models import Event
from events.services import event_bounds_utc
from podium.db import utcnow
from podium.errors import DomainError
from podium.formatting import format_day
from podium.forms import FormData
from podium.i18n import current_locale
from podium.pages import redirect, render
from podium.reader_zone import known_zones
from podium.settings import Settings
from podium.translated import translated_text
from registration.links.rule import open_registration
from registration.models import Category
from sessions import agenda, feeds, public, queries
from sessions.agenda import AGENDA_STATUSES
from sessions.models import KIND_LABELS

MAX_RESULTS = 50


def _back(registration_id: UUID, secret: str | None, **extra: str) -> str:
    query = {"secret": secret or "", **{k: v for k, v in extra.items() if v}}
    return f"/registrations/{registration_id}?{urlencode(query, quote_via=quote)}"


async def _feed_urls(db_session: AsyncSession, settings: Settings, registration: Any) -> tuple[str, str]:
    """The private calendar feed's address and its webcal:// twin (the feed is made on first use)."""
    feed = await agenda.feed_of(db_session, registration)
    token = feeds.agenda_token(settings.secret_key, feed.id, feed.version, registration.secret_version)
    feed_url = feeds.agenda_feed_url(settings.base_url, token)
    return feed_url, feeds.webcal_url(feed_url)


class AgendaPages(Controller):
    include_in_schema = False

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        settings: Settings,
        registration_id: UUID,
        secret: str | None,
        *,
        q: str = "",
        error: str | None = None,
        notice: str | None = None,
        status_code: int = 200,
    ) -> Template:
        registration = await open_registration(
            db_session, registration_id, secret=secret, secret_key=settings.secret_key
        )
        active = registration.status in AGENDA_STATUSES
        feed_url, webcal = await _feed_urls(db_session, settings, registration) if active else (None, None)
        event: Event = await queries.event_by_id(db_session, registration.event_id)
        tz = zoneinfo.ZoneInfo(event.timezone)
        found = (
            await db_session.execute(
                select(Category.name, Category.translations).where(Category.id == registration.category_id)
            )
        ).first()
        category = translated_text(found, "name") if found else None
        entries = await agenda.agenda_of(db_session, registration.id) if active else []
        days: dict[dt.date, list[agenda.AgendaEntry]] = {}
        for entry in entries:
            days.setdefault(entry.session.starts_at.astimezone(tz).date(), []).append(entry)
        titles = {e.session.id: translated_text(e.session, "title") for e in entries}
        results: list[Any] = []
        if active and q:
            wanted = public.ProgramFilter(q=q)
            results = await public.public_program(
                db_session, event, wanted, limit=MAX_RESULTS, offset=0, talks_until=utcnow(), locale=current_locale()
            )
        page = render(
            request,
            "sessions/agenda.html",
            status_code=status_code,
            page_brand=page_brand(event),
            registration=registration,
            category=category or "",
            event=event,
            active=active,
            days=sorted(days.items()),
            titles=titles,
            picked={e.session.id for e in entries},
            overlapping=sum(1 for e in entries if e.overlaps),
            feed_url=feed_url,
            webcal_url=webcal,
            certificate_ready=utcnow() >= event_bounds_utc(event)[1],
            secret=secret,
            q=q,
            results=results,
            more=len(results) == MAX_RESULTS,
            kinds=KIND_LABELS,
            rooms={r.id: r.name for r in event.rooms},
            zones=known_zones(),
            clock=lambda v: v.astimezone(tz).strftime("%H:%M"),
            day_of=lambda v: format_day(v.astimezone(tz).date(), short=True),
            error=error,
            notice=notice,
        )
        # The request's change, if any, and a feed made on first use: every handler here ends with this page or a
        # redirect, so this is where a page commits.
        await db_session.commit()
        return page

    @get("/registrations/{registration_id:uuid}")
    async def page(
        self,
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Template:
        query = " ".join((q or "").split())[:200]
        return await self._page(request, db_session, state.settings, registration_id, secret, q=query)

    @post("/registrations/{registration_id:uuid}/agenda/add")
    async def add(
        self,
        registration_id: FromPath[UUID],
        data: FormData,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        await open_registration(db_session, registration_id, secret=secret, secret_key=state.settings.secret_key)
        q = data.get("q", "")[:200]
        try:
            session_id = UUID(data.get("session_id", ""))
            await agenda.add_session(db_session, registration_id, session_id)
            await db_session.commit()
        except ValueError:
            return await self._page(
                request,
                db_session,
                state.settings,
                registration_id,
                secret,
                q=q,
                error="Choose a session to add.",
                status_code=400,
            )
        except DomainError as exc:
            if exc.status_code == 404 and exc.field == "registration_id":
                raise
            return await self._page(
                request,
                db_session,
                state.settings,
                registration_id,
                secret,
                q=q,
                error=exc.detail,
                status_code=exc.status_code,
            )
        return redirect(_back(registration_id, secret, q=q))

    @post("/registrations/{registration_id:uuid}/agenda/remove")
    async def remove(
        self,
        registration_id: FromPath[UUID],
        data: FormData,
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Redirect:
        await open_registration(db_session, registration_id, secret=secret, secret_key=state.settings.secret_key)
        try:
            session_id = UUID(data.get("session_id", ""))
        except ValueError:
            return redirect(_back(registration_id, secret))
        await agenda.remove_session(db_session, registration_id, session_id)
        await db_session.commit()
        return redirect(_back(registration_id, secret))

    @post("/registrations/{registration_id:uuid}/agenda/feed/revoke")
    async def revoke(
        self,
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template:
        registration = await open_registration(
            db_session, registration_id, secret=secret, secret_key=state.settings.secret_key
        )
        await agenda.revoke_feed(db_session, registration)
        notice = "Your old calendar link no longer works. Subscribe again with the new one below."
        return await self._page(request, db_session, state.settings, registration_id, secret, notice=notice)
