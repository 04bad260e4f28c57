"""The organizers' page for an event's bank transfer settings: the API's settings (``settings.replace_settings``,
the one rule) as a form, each wrong field (an IBAN whose digits don't check) shown on the field, a saved message
after the redirect."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import editable_event, get_event
from podium.auth.guards import requires_organizer
from podium.errors import DomainError
from podium.formatting import in_fours
from podium.forms import FormData, read_form
from podium.pages import form_errors, redirect, render
from registration.bank.schemas import BankTransferSettingsIn
from registration.bank.settings import FIELDS, replace_settings, settings_for, settings_read

_NUMBERS = ("due_days", "latest_days_before_event", "max_days_from_order")


def _form_body(data: dict[str, str]) -> dict[str, Any]:
    """The form's strings as the API's body: the box ticked or not, numbers as typed (checked by the schema)."""
    body: dict[str, Any] = {name: data.get(name, "").replace("\r\n", "\n").strip() for name in FIELDS}
    body["enabled"] = bool(data.get("enabled"))
    for name in _NUMBERS:
        text = body[name]
        body[name] = int(text) if text.lstrip("-").isdigit() else text
    return body


class OrganizerBankSettingsPages(Controller):
    path = "/organizer/events/{slug:str}/bank-transfer"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        event: Event,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        current = settings_read(await settings_for(db_session, event))
        shown = {name: str(getattr(current, name)) for name in FIELDS}
        shown["enabled"] = "on" if current.enabled else ""
        shown["iban"] = in_fours(current.iban)
        return render(
            request,
            "organizer/bank_settings.html",
            status_code=status_code,
            event=event,
            values={**shown, **(values or {})},
            errors=errors or {},
            saved=request.query_params.get("saved", ""),
        )

    @get("/")
    async def settings(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        return await self._page(request, db_session, event)

    @post("/")
    async def save(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            event = await editable_event(db_session, slug)
            await replace_settings(db_session, event, read_form(_form_body(data), BankTransferSettingsIn))
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            await db_session.rollback()
            event = await get_event(db_session, slug, with_children=False)
            values = {name: data.get(name, "") for name in FIELDS}
            return await self._page(
                request, db_session, event, values=values, errors=form_errors(exc), status_code=exc.status_code
            )
        await db_session.commit()
        return redirect(f"/organizer/events/{slug}/bank-transfer?saved=1")
