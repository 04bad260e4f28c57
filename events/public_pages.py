"""The public event pages: the list of events, an event's page, its logo and its brand's style sheet."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from events import brand, services
from events.event_forms import KINDS, local_input
from podium.auth.schemas import CurrentUser
from podium.pages import render

# The logo's and style sheet's URLs carry a version (``events/brand.py``): with it, a year; without, revalidate.
VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, no-cache"


def _is_organizer(request: Request[Any, Any, Any]) -> bool:
    user = request.scope.get("user")
    return isinstance(user, CurrentUser) and user.role == "organizer"


def _cached(
    request: Request[Any, Any, Any], body: bytes, media_type: str, etag: str, versioned: bool
) -> Response[bytes]:
    headers = {"ETag": etag, "Cache-Control": VERSIONED_CACHE if versioned else UNVERSIONED_CACHE}
    tags = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
    if etag in tags:
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    return Response(body, headers=headers, media_type=media_type)


class EventPages(Controller):
    """What anyone can see: published events."""

    include_in_schema = False

    @get("/")
    async def index(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Template:
        events = await services.list_events(db_session)
        return render(request, "events/list.html", events=events, kinds=dict(KINDS))

    @get("/events/{slug:str}")
    async def detail(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await services.get_event(db_session, slug, published_only=True)
        return render(
            request,
            "events/detail.html",
            event=event,
            kinds=dict(KINDS),
            opens=local_input(event.registration_opens_at, event.timezone).replace("T", " "),
            closes=local_input(event.registration_closes_at, event.timezone).replace("T", " "),
            page_brand=brand.page_brand(event),
        )

    @get("/events/{slug:str}/logo.png")
    async def logo(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The logo we re-encoded (PNG); a draft's only to organizers, like the draft itself."""
        png, digest = await brand.logo_png(db_session, slug, published_only=not _is_organizer(request))
        versioned = request.query_params.get("v") == digest[:16]
        return _cached(request, png, "image/png", f'"{digest[:32]}"', versioned)

    @get("/events/{slug:str}/brand.css")
    async def brand_css(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The event's colour as a style sheet: the pages' CSP refuses inline styles. No colour: an empty sheet."""
        event = await services.get_event(
            db_session, slug, published_only=not _is_organizer(request), with_children=False
        )
        colour = event.brand_colour
        css = brand.brand_css(colour) if colour else ""
        versioned = colour is not None and request.query_params.get("v") == colour[1:]
        return _cached(request, css.encode(), "text/css", f'"{(colour or "none")[1:] or "none"}"', versioned)
