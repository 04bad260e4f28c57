"""The organizer's console page for an event's call for abstracts: one form, the whole call, every mistake
marked on its field (and row). Works without JavaScript."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import calls
from abstracts.call_forms import KIND_LABELS, LISTS, RowMap, call_form, call_payload, rows_to_show
from abstracts.call_schemas import CallWrite
from events import services as events
from events.models import Event
from podium.auth.guards import requires_organizer
from podium.errors import DomainError
from podium.forms import FormData, read_form
from podium.i18n import gettext
from podium.pages import form_errors, redirect, render
from registration.models import Category


class OrganizerCallPages(Controller):
    path = "/organizer/events/{slug:str}/call-for-abstracts"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def edit_call(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await events.get_event(db_session, slug, with_children=False)
        view = await calls.load_call(db_session, event)
        return await self._form(request, db_session, event, view is not None, call_form(view), {})

    @post("/")
    async def save_call(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        payload, rows = call_payload(data)
        try:
            await calls.put_call(db_session, slug, read_form(payload, CallWrite, strict=False))
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            event = await events.get_event(db_session, slug, with_children=False)
            exists = await calls.load_call(db_session, event) is not None
            errors = _on_rows(form_errors(exc), rows)
            return await self._form(
                request, db_session, event, exists, data, errors, status_code=getattr(exc, "status_code", 422)
            )
        return redirect(f"/organizer/events/{slug}/call-for-abstracts?saved=1")

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        event: Event,
        exists: bool,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        status_code: int = 200,
    ) -> Template:
        categories = (
            await db_session.execute(
                select(Category.id, Category.name).where(Category.event_id == event.id).order_by(Category.position)
            )
        ).all()
        return render(
            request,
            "abstracts/call_form.html",
            status_code=status_code,
            event=event,
            exists=exists,
            values=values,
            errors=errors,
            rows=rows_to_show(values),
            lists=LISTS,
            kinds=[(kind, gettext(label)) for kind, label in KIND_LABELS.items()],
            categories=categories,
            saved=request.query_params.get("saved") == "1",
        )


def _on_rows(errors: dict[str, str], rows: RowMap) -> dict[str, str]:
    return {rows.form_field(name): message for name, message in errors.items()}
