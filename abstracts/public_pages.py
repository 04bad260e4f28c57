"""HTTP for the public list of accepted abstracts (JSON and a phone-first page with a search box), open to
anyone for a published event; empty until the call's embargo passes (``abstracts.public_list``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import figures
from abstracts.controllers import figure_response
from abstracts.public_list import MAX_RESULTS, PAGE_SIZE, public_abstracts
from podium.auth.guards import requires_organizer_unless_public
from podium.db import utcnow
from podium.errors import NotFound, problem_responses
from podium.i18n import N_
from podium.pages import render
from podium.query_params import Search

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
PageNumber = Annotated[int, QueryParameter(ge=1, le=10_000)]


class PublicAuthorRead(msgspec.Struct):
    name: str
    institution: str
    country: str
    presenting: bool


class PublicAbstractRead(msgspec.Struct):
    id: UUID
    number: int | None
    kind: str
    submission_type: str
    title: str
    body_html: str
    keywords: list[str]
    authors: list[PublicAuthorRead]
    figure_url: str | None = None


class PublicAbstractList(msgspec.Struct):
    """``published`` is false (and the list empty) until ``embargo_until``; null when the event has no call."""

    published: bool
    embargo_until: dt.datetime | None
    abstracts: list[PublicAbstractRead]
    total: int  # matching abstracts on every page (``limit``/``offset`` choose the page)


class PublicAbstractController(Controller):
    path = "/api/events/{event:str}/accepted-abstracts"
    tags = ["abstracts: public"]
    guards = [requires_organizer_unless_public]

    @get(
        "/",
        operation_id="listPublicAbstracts",
        security=[],
        opt={"public": True},
        responses=problem_responses(404, 422),
    )
    async def list_public(
        self,
        event: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[Search] = None,
        limit: FromQuery[Limit] = MAX_RESULTS,
        offset: FromQuery[Offset] = 0,
    ) -> PublicAbstractList:
        """The accepted abstracts after the embargo, by number, ``limit`` from ``offset``; ``q`` searches
        titles, bodies, keywords, authors, institutions, topics and session titles (every word must match)."""
        found = await public_abstracts(db_session, event, q or "", utcnow(), limit=limit, offset=offset)
        return PublicAbstractList(
            published=found.published,
            embargo_until=found.embargo_until,
            abstracts=[msgspec.convert(a, PublicAbstractRead, from_attributes=True) for a in found.abstracts],
            total=found.total,
        )

    @get(
        "/{abstract_id:uuid}/figure",
        operation_id="getPublicAbstractFigure",
        security=[],
        opt={"public": True},
        responses=problem_responses(404),
        media_type="image/png",
    )
    async def figure(
        self, event: FromPath[str], abstract_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """An accepted abstract's figure, after the embargo (404 before it, as for an abstract not accepted)."""
        return figure_response(await figures.public_figure(db_session, event, abstract_id, utcnow()))


class PublicAbstractPages(Controller):
    include_in_schema = False
    guards = [requires_organizer_unless_public]

    @get("/events/{slug:str}/accepted-abstracts", opt={"public": True})
    async def page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[Search] = None,
        page: FromQuery[PageNumber] = 1,
    ) -> Template:
        offset = (page - 1) * PAGE_SIZE
        found = await public_abstracts(db_session, slug, q or "", utcnow(), limit=PAGE_SIZE, offset=offset)
        pages = max(1, -(-found.total // PAGE_SIZE))
        return render(
            request, "abstracts/public/list.html", found=found, event=found.event, q=q or "", page=page, pages=pages
        )

    @get("/events/{slug:str}/accepted-abstracts/{abstract_id:uuid}", opt={"public": True})
    async def detail(
        self,
        slug: FromPath[str],
        abstract_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        """One accepted abstract (the public program's talks link here); a 404 before the embargo, as for an
        abstract that was never accepted, so the page reveals nothing early."""
        found = await public_abstracts(db_session, slug, "", utcnow(), only=abstract_id)
        if not found.abstracts:
            raise NotFound(N_("no such abstract"), field="abstract_id")
        abstract = found.abstracts[0]
        return render(request, "abstracts/public/detail.html", abstract=abstract, event=found.event)
