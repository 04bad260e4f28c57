"""The public program pages: the program browser (a day at a time, or the grid) and each session's page.
Every form works without JavaScript; times are shown in the event's time zone, with the reader's own clock beside
them when their zone (``podium.reader_zone``) is at another offset."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import PageBrand, page_brand
from podium.db import begin_autocommit
from podium.errors import NotFound
from podium.formatting import format_date, local_time
from podium.i18n import N_, current_locale
from podium.lru import Lru
from podium.query_params import Search
from podium.reader_zone import current_reader_zone
from podium.translated import localized
from registration.models import AddOn
from sessions import glance, public, queries
from sessions.models import KIND_LABELS, SessionStatus
from sessions.page_cache import PROGRAM_PAGES, SESSION_PAGES, cached_page, shared_page, template_of
from sessions.page_parts import by_time, clock_text, event_days
from sessions.talk_reads import embargoed_presenters

# Rendered program listings and session details in this worker's memory (``podium.lru``). Pure caches: the key
# is the program's or session's fingerprint read from the database on every request (``public.program_head``,
# ``public.session_head``), so any change to a session, speaker, room, track or the event makes a new key and no
# stale entry is ever served, whichever worker made the change.
# (event name or page title, the event's brand, the rendered body): the brand is kept beside the body, so a hit
# reads nothing else; the event's ``updated_at`` is in every key, and a new colour or logo moves it.
LISTINGS: Lru[tuple[str, PageBrand, str]] = Lru()
# One small entry per session: a 600-session meeting's pages all fit.
DETAILS: Lru[tuple[str, PageBrand, str]] = Lru(size=1024)  # by session version, locale and reader's zone
# The event's time zone and its sessions in time order, for "now and next", per program version.
TIMELINES: Lru[tuple[str, list[glance.Moment]]] = Lru(size=16)
VIEWS = ("list", "grid")


async def _now_and_next(
    db_session: AsyncSession, slug: str, head: public.ProgramHead
) -> tuple[glance.NowAndNext, str] | None:
    """What is on now and next with the event's zone, during the event only (before and after, the page is a
    program, not a clock). Computed per request from the version's cached timeline, so it follows the clock."""
    now = dt.datetime.now(dt.UTC)
    # The event's own zone is read only on a cache miss; a day's slack either side covers every zone.
    if not head.start_date - dt.timedelta(days=1) <= now.date() <= head.end_date + dt.timedelta(days=1):
        return None
    locale = current_locale()  # the moments carry titles, which are in the reader's language
    timeline = TIMELINES.get(f"{head.version}|{locale}")
    if timeline is None:
        await begin_autocommit(db_session)
        event = await public.public_event(db_session, slug)
        sessions = await public.public_program(
            db_session,
            event,
            public.ProgramFilter(),
            limit=5000,
            offset=0,
            statuses=(SessionStatus.PUBLISHED.value,),
            talks_until=head.talks_until,
            locale=locale,
        )
        timeline = (event.timezone, glance.moments(sessions))
        TIMELINES.put(f"{head.version}|{locale}", timeline)
    timezone, moments = timeline
    found = glance.now_and_next(moments, now, (head.start_date, head.end_date), timezone)
    return (found, timezone) if found else None


def _moment_key(on_now: tuple[glance.NowAndNext, str] | None) -> str:
    """What "now and next" shows, for a cached page's key: which sessions (their text is the version's)."""
    if on_now is None:
        return "-"
    found, timezone = on_now
    return f"{found.day}|{found.next_at}|{[m.id for m in found.now]}|{[m.id for m in found.next]}|{timezone}"


def _chosen_day(days: list[dt.date], day: str | None, *, searching: bool) -> dt.date | None:
    """The day to list (None: every day): the one asked for, or every day for a search, or the first day; a
    day that isn't a date shows the first."""
    if day == "all" or (searching and not day):
        return None
    try:
        return dt.date.fromisoformat(day) if day else days[0]
    except ValueError:
        return days[0]


def _listing(
    request: Request[Any, Any, Any],
    event: Any,
    sessions: list[Any],
    days: list[dt.date],
    wanted: public.ProgramFilter,
    *,
    view: str,
) -> str:
    """The listing fragment (a list or, for one day, the grid of rooms by start time), the same for everyone in
    the reader's zone."""
    grid = None
    if view == "grid" and wanted.day is not None:
        grid = glance.day_grid(sessions, [(r.id, r.name) for r in event.rooms], event.timezone)
    return template_of(request, "sessions/_program_listing.html").render(
        view=view,
        grid=grid,
        event=event,
        days=days,
        chosen_day=wanted.day,
        track=str(wanted.track_id) if wanted.track_id else "",
        kind=wanted.kind or "",
        q=wanted.q,
        netloc=request.url.netloc,
        groups=by_time(sessions, event.timezone),
        count=len(sessions),
        kinds=KIND_LABELS,
        rooms={r.id: r.name for r in event.rooms},
        tracks={t.id: t for t in event.tracks},
        clock=lambda v: clock_text(v, event.timezone),
    )


class ProgramPages(Controller):
    """What anyone can see: the published program of a published event and each session."""

    include_in_schema = False

    @get("/events/{slug:str}/program")
    async def program(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        day: FromQuery[str | None] = None,
        within: FromQuery[str | None] = None,
        track: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        q: FromQuery[Search] = None,
        view: FromQuery[str | None] = None,
    ) -> Response[bytes] | Template:
        """One day at a time (a 600-session meeting is too much for a phone at once); a search covers every day,
        while the track and type filters keep the day being looked at (``within``, from the filter form).
        ``view=grid`` shows the day at a glance, rooms by start time; during the event "now and next" leads.

        The listing is the same for every visitor in one time zone, so it is rendered once per program version,
        filter and zone and kept (``LISTINGS``), and so is an anonymous visitor's whole page (``page_cache``): a
        request whose page is cached costs one query (``public.program_head``)."""
        head = await public.program_head(db_session, slug)
        days = event_days(head)
        chosen_day = _chosen_day(days, day or (None if q else within), searching=bool(q))
        kind = type if type in KIND_LABELS else None
        text = (q or "").strip()
        chosen_view = view if view in VIEWS else "list"
        netloc = request.url.netloc
        # The listing is written in the visitor's language (its words, dates and times) and shows their own clock
        # beside the event's: the locale and their zone are in the key.
        zone = current_reader_zone() or "-"
        key = f"{head.version}|{current_locale()}|{zone}|{chosen_day}|{track}|{kind}|{text}|{netloc}|{chosen_view}"
        on_now = await _now_and_next(db_session, slug, head)
        page_key = f"program|{key}|{_moment_key(on_now)}"
        if (page := cached_page(request, PROGRAM_PAGES, page_key)) is not None:
            return page
        cached = LISTINGS.get(key)
        if cached is None:
            await begin_autocommit(db_session)  # reads only: no BEGIN and ROLLBACK round trips
            event = await public.public_event(db_session, slug)
            track_id = next((t.id for t in event.tracks if str(t.id) == track), None)
            wanted = public.ProgramFilter(day=chosen_day, track_id=track_id, kind=kind, q=text)
            sessions = await public.public_program(
                db_session, event, wanted, limit=2000, offset=0, talks_until=head.talks_until, locale=current_locale()
            )
            listing = _listing(request, event, sessions, days, wanted, view=chosen_view)
            cached = (event.name, page_brand(event), listing)
            LISTINGS.put(key, cached)
        event_name, brand, listing = cached
        return shared_page(
            request,
            PROGRAM_PAGES,
            page_key,
            "sessions/program.html",
            event_name=event_name,
            page_brand=brand,
            listing=listing,
            slug=slug,
            on_now=on_now,
        )

    @get("/events/{slug:str}/sessions/{session_id:uuid}")
    async def session(
        self,
        slug: FromPath[str],
        session_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[bytes] | Template:
        """The detail is the same for every visitor, so it is rendered once per session version and kept, and so
        is an anonymous visitor's whole page; a request whose page is cached costs one query
        (``public.session_head``)."""
        head = await public.session_head(db_session, session_id)
        if head.event_slug != slug:
            raise NotFound(N_("no such session"), field="session_id")
        page_key = f"session|{head.version}"
        if (page := cached_page(request, SESSION_PAGES, page_key)) is not None:
            return page
        locale = current_locale()
        detail_key = f"{head.version}|{locale}|{current_reader_zone() or '-'}"
        cached = DETAILS.get(detail_key)
        if cached is None:
            await begin_autocommit(db_session)
            session, event = await public.public_session(db_session, session_id)
            talks = await public.session_talks(db_session, session_id, head.talks_until, event.timezone)
            hidden = await embargoed_presenters(db_session, [session_id], head.talks_until)
            add_on = None
            if session.required_add_on_id:
                found = (
                    await db_session.execute(
                        select(AddOn.name, AddOn.translations).where(AddOn.id == session.required_add_on_id)
                    )
                ).first()
                add_on = localized(found.name, found.translations, "name", locale) if found else None
            read = queries.to_read(session, event, talks, hidden, locale)
            detail = template_of(request, "sessions/_session_detail.html").render(
                event=event,
                session=read,
                clock=lambda v: clock_text(v, event.timezone),
                kinds=KIND_LABELS,
                add_on=add_on,
                day=format_date(local_time(session.starts_at, event.timezone).date()),
                start=clock_text(session.starts_at, event.timezone),
                end=clock_text(session.ends_at, event.timezone),
            )
            cached = (f"{read.title} · {event.name}", page_brand(event), detail)
            DETAILS.put(detail_key, cached)
        title, brand, detail = cached
        return shared_page(
            request, SESSION_PAGES, page_key, "sessions/session.html", title=title, page_brand=brand, detail=detail
        )
