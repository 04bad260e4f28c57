"""HTTP for the iCalendar feeds: the program, one session, and an attendee's private agenda feed.

Every feed answers conditional requests (ETag, Last-Modified → 304) from a fingerprint the database
computes, so polling calendar apps cost almost nothing. A rendered program feed is also kept per worker
under its ETag: the ETag comes from the database on every request, so a stale copy can never be served.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from sqlalchemy.ext.asyncio import AsyncSession

from podium.errors import NotFound, problem_responses
from podium.i18n import N_
from podium.settings import Settings
from sessions import feeds

CALENDAR = "text/calendar"
_RENDERED_MAX = 64
_rendered: OrderedDict[str, bytes] = OrderedDict()


def _remember(key: str, body: bytes) -> bytes:
    _rendered[key] = body
    _rendered.move_to_end(key)
    while len(_rendered) > _RENDERED_MAX:
        _rendered.popitem(last=False)
    return body


def not_modified(request: Request[Any, Any, Any], feed: feeds.Feed) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return feed.etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if not since:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return moment.tzinfo is not None and feed.last_modified <= moment


async def calendar_response(
    request: Request[Any, Any, Any],
    feed: feeds.Feed,
    render: Any,
    *,
    private: bool = False,
    cache_key: str | None = None,
) -> Response[bytes]:
    headers = {
        "ETag": feed.etag,
        "Last-Modified": format_datetime(feed.last_modified.astimezone(dt.UTC), usegmt=True),
        "Cache-Control": "private, no-cache" if private else "public, no-cache",
        "Content-Disposition": f'inline; filename="{feed.filename}"',
    }
    if private:
        # A secret URL must not leak through the Referer of links in the calendar's event pages.
        headers["Referrer-Policy"] = "no-referrer"
    if not_modified(request, feed):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    key = f"{cache_key}|{feed.etag}" if cache_key else None
    body = _rendered.get(key) if key else None
    if body is None:
        body = await render()
        if key:
            _remember(key, body)
    return Response(body, media_type=CALENDAR, headers=headers)


async def session_calendar(
    request: Request[Any, Any, Any], db_session: AsyncSession, settings: Settings, session_id: UUID
) -> Response[bytes]:
    event_id, feed = await feeds.session_feed(db_session, session_id)

    async def render() -> bytes:
        return await feeds.render_session(db_session, event_id, session_id, settings.base_url, feed.talks_until)

    return await calendar_response(request, feed, render)


def _file_stem(file: str, field: str) -> str:
    if not file.endswith(".ics") or len(file) > 100:
        raise NotFound(N_("no such calendar"), field=field)
    return file.removesuffix(".ics")


class ProgramFeedController(Controller):
    """The whole published program (cancelled sessions included, so calendars remove them)."""

    path = "/api/events/{event:str}/program.ics"
    tags = ["program: calendar feeds"]

    @get(
        "/",
        operation_id="programCalendar",
        security=[],
        opt={"public": True},
        responses=problem_responses(304, 404),
        media_type=CALENDAR,
    )
    async def program(
        self,
        event: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> Response[bytes]:
        """iCalendar (RFC 5545) of the event's program; subscribe to it with `webcal://`."""
        event_id, feed = await feeds.program_feed(db_session, event)

        async def render() -> bytes:
            return await feeds.render_program(db_session, event_id, state.settings.base_url, feed.talks_until)

        return await calendar_response(request, feed, render, cache_key=f"program:{event_id}:{state.settings.base_url}")


class AgendaFeedController(Controller):
    """One attendee's agenda at a private URL any calendar app can subscribe to without logging in."""

    path = "/api/agenda"
    tags = ["program: calendar feeds"]

    @get(
        "/{file:str}",
        operation_id="agendaCalendar",
        security=[],
        opt={"public": True},
        responses=problem_responses(304, 404),
        media_type=CALENDAR,
    )
    async def agenda(
        self,
        file: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> Response[bytes]:
        """`{token}.ics`, the token from the attendee's agenda page; a revoked or unknown token is a 404."""
        token = _file_stem(file, "token")
        registration_id, event_id, feed = await feeds.agenda_feed(db_session, state.settings.secret_key, token)

        async def render() -> bytes:
            return await feeds.render_agenda(
                db_session, event_id, registration_id, state.settings.base_url, feed.talks_until
            )

        return await calendar_response(request, feed, render, private=True)
