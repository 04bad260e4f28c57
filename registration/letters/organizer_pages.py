"""The organizers' letter list: filter by status, approve or reject pending letters, revoke issued ones, and show
one letter's passport data (each showing audited, as through the API)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.errors import DomainError
from podium.forms import FormData
from podium.pages import form_errors, redirect, render
from registration.letters import services
from registration.letters.sealing import PassportData
from registration.letters.validation import country_names
from registration.links.access import caller
from registration.models import LetterStatus, Registration


def _actor(request: Request[Any, Any, Any]) -> str:
    user = caller(request)
    return f"organizer:{user.email}" if user is not None else "organizer"


class OrganizerLetterPages(Controller):
    path = "/organizer/events/{slug:str}/letters"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        event: Event,
        status: str | None,
        *,
        shown: tuple[UUID, PassportData | None] | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        wanted = LetterStatus(status) if status in tuple(LetterStatus) else None
        letters = await services.list_letters(db_session, event, wanted)
        ids = [letter.registration_id for letter in letters]
        people = {r.id: r for r in await db_session.scalars(select(Registration).where(Registration.id.in_(ids)))}
        return render(
            request,
            "organizer/letters.html",
            status_code=status_code,
            event=event,
            letters=letters,
            people=people,
            status=wanted.value if wanted else "",
            statuses=[s.value for s in LetterStatus],
            shown=shown,
            countries=country_names(),
            error=error,
        )

    @get("/")
    async def letters(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        status: FromQuery[str | None] = None,
        show: FromQuery[UUID | None] = None,
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        shown = None
        if show is not None:
            data = await services.passport_data(
                db_session, event, show, secret_key=state.settings.secret_key, actor=_actor(request)
            )
            await db_session.commit()  # the audit entry of this view
            shown = (show, data)
        page = await self._page(request, db_session, event, status, shown=shown)
        page.headers["Cache-Control"] = "private, no-store"
        return page

    @post("/{letter_id:uuid}/{action:str}")
    async def act(
        self,
        slug: FromPath[str],
        letter_id: FromPath[UUID],
        action: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug, with_children=False)
        note = data.get("note", "")[:2000]
        back = data.get("status", "")
        try:
            if action == "revoke":
                await services.revoke(db_session, event, letter_id, note=note, actor=_actor(request))
            elif action in ("approve", "reject"):
                approve = action == "approve"
                await services.decide(db_session, event, letter_id, approve=approve, note=note, actor=_actor(request))
            else:
                return redirect(f"/organizer/events/{slug}/letters")
        except DomainError as exc:
            await db_session.rollback()  # expires what was read: the page reads the event again
            event = await get_event(db_session, slug, with_children=False)
            message = "; ".join(form_errors(exc).values())
            return await self._page(request, db_session, event, back, error=message, status_code=exc.status_code)
        await db_session.commit()
        query = f"?status={back}" if back in tuple(LetterStatus) else ""
        return redirect(f"/organizer/events/{slug}/letters{query}")
