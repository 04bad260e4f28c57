"""The letter's pages: the attendee's (ask, see the status, download) behind their registration's secret, and the
public verification page, which shows the letter's name, event and validity and nothing else."""

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
from podium.errors import DomainError
from podium.forms import FormData, read_form
from podium.pages import form_errors, redirect, render
from podium.settings import Settings
from registration.letters import services
from registration.letters.controllers import ask, letter_read
from registration.letters.mail import REASONS
from registration.letters.schemas import LetterRequest
from registration.links.access import RegistrationHolder
from registration.links.rule import open_registration_as
from registration.models import RevokedBecause

_FIELDS = ("passport_name", "nationality", "passport_number", "date_of_birth", "embassy_city")


class LetterPages(Controller):
    include_in_schema = False

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        settings: Settings,
        holder: RegistrationHolder,
        secret: str,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        registration = holder.registration
        event = await db_session.get(Event, registration.event_id)
        assert event is not None  # the foreign key
        letter = await services.letter_of(db_session, registration.id)
        return render(
            request,
            "registration/letter.html",
            status_code=status_code,
            page_brand=page_brand(event),
            event=event,
            registration=registration,
            letter=letter_read(letter, settings.base_url) if letter is not None else None,
            secret=secret,
            values=values or {},
            errors=errors or {},
        )

    async def _holder(
        self, db_session: AsyncSession, settings: Settings, registration_id: UUID, secret: str | None
    ) -> RegistrationHolder:
        registration, opener = await open_registration_as(
            db_session, registration_id, secret=secret, secret_key=settings.secret_key
        )
        return RegistrationHolder(registration, opener, None)

    @get("/registrations/{registration_id:uuid}/letter")
    async def letter(
        self,
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template:
        holder = await self._holder(db_session, state.settings, registration_id, secret)
        return await self._page(request, db_session, state.settings, holder, secret or "")

    @post("/registrations/{registration_id:uuid}/letter")
    async def ask_for_letter(
        self,
        registration_id: FromPath[UUID],
        data: FormData,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        settings: Settings = state.settings
        holder = await self._holder(db_session, settings, registration_id, secret)
        values = {k: data.get(k, "") for k in _FIELDS}
        try:
            await ask(db_session, holder, read_form(values, LetterRequest), settings.secret_key)
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            holder = await self._holder(db_session, settings, registration_id, secret)
            return await self._page(
                request,
                db_session,
                settings,
                holder,
                secret or "",
                values=values,
                errors=form_errors(exc),
                status_code=getattr(exc, "status_code", 422),
            )
        await db_session.commit()
        return redirect(f"/registrations/{registration_id}/letter?secret={secret}")

    @get("/letters/{code:str}")
    async def verify(
        self, code: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        """Public: the name the letter was issued to (the registered name), the event and whether it is valid."""
        letter, registration, event = await services.public_letter(db_session, code)
        page = render(
            request,
            "registration/letter_verify.html",
            page_brand=page_brand(event),
            name=letter.holder_name or f"{registration.first_name} {registration.last_name}",
            event=event,
            valid=letter.status == "issued",
            reason=REASONS.get(letter.revoked_because or "", REASONS[RevokedBecause.ORGANIZER.value]),
            code=letter.code,
        )
        page.headers["Cache-Control"] = "no-store"
        page.headers["X-Robots-Tag"] = "noindex"
        return page
