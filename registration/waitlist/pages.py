"""The public waitlist pages: join a sold-out item's waitlist, see and claim an offer."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import page_brand
from events.models import Event
from podium import rate_limits
from podium.client_address import client_address
from podium.errors import DomainError
from podium.forms import FormData, read_form
from podium.pages import form_errors, redirect, render
from podium.settings import Settings
from registration import catalog
from registration.catalog.public import event_brand
from registration.links.rule import open_waitlist_entry
from registration.orders.limits import waitlist_limits
from registration.schemas import WaitlistJoin
from registration.waitlist import services as waitlist


class WaitlistPages(Controller):
    """Join the queue for a sold-out item, see your place, and claim an offer by registering."""

    include_in_schema = False

    @get("/events/{slug:str}/waitlist")
    async def form(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        category: FromQuery[str | None] = None,
        add_on: FromQuery[str | None] = None,
    ) -> Template:
        view = await catalog.public_catalog(db_session, slug)
        return render(
            request,
            "registration/waitlist.html",
            page_brand=await event_brand(db_session, view.event),
            catalog=view,
            category=category,
            add_on=add_on,
            values={},
            error=None,
        )

    @post("/events/{slug:str}/waitlist")
    async def join(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        settings: Settings = state.settings
        body = {k: data[k].strip() for k in ("email", "name", "category", "add_on") if data.get(k, "").strip()}
        try:
            await rate_limits.hit(db_session, waitlist_limits(settings, client_address(request), body.get("email", "")))
            entry, _ = await waitlist.join(
                db_session,
                event_slug=slug,
                data=read_form(body, WaitlistJoin),
                secret_key=settings.secret_key,
                base_url=settings.base_url,
            )
        except (msgspec.ValidationError, DomainError) as exc:
            view = await catalog.public_catalog(db_session, slug)
            message = "; ".join(form_errors(exc).values())
            page = render(
                request,
                "registration/waitlist.html",
                status_code=getattr(exc, "status_code", 422),
                page_brand=await event_brand(db_session, view.event),
                catalog=view,
                category=data.get("category"),
                add_on=data.get("add_on"),
                values=data,
                error=message,
            )
            page.headers.update(getattr(exc, "headers", {}))  # Retry-After of a 429
            return page
        await db_session.commit()
        return redirect(f"/events/{slug}/waitlist/{entry.id}?token={entry.token}")

    @get("/events/{slug:str}/waitlist/{entry_id:uuid}")
    async def entry(
        self,
        slug: FromPath[str],
        entry_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        token: FromQuery[str | None] = None,
    ) -> Template:
        settings: Settings = state.settings
        found = await open_waitlist_entry(db_session, entry_id, token=token, secret_key=settings.secret_key)
        view = await waitlist.entry_read(db_session, found, secret_key=settings.secret_key, base_url=settings.base_url)
        event = await db_session.get(Event, found.event_id)  # the offer ends on the event's clock
        assert event is not None  # the entry's foreign key
        return render(
            request,
            "registration/waitlist_entry.html",
            page_brand=page_brand(event),
            entry=view,
            slug=slug,
            event=event,
        )
