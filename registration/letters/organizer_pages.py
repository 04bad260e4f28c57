"""The organizers' letter list: filter by status, approve or reject pending letters, revoke issued ones, and show
one letter's passport data (each showing audited, as through the API); and the event's letter settings (issue at
once or review, letters before payment, days kept, the signatory and the signature image)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import LOGO_BODY_LIMIT, MAX_LOGO_BYTES
from events.models import Event
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.errors import DomainError, InvalidInput
from podium.forms import FormData
from podium.i18n import N_
from podium.pages import form_errors, redirect, render
from registration.letters import services
from registration.letters.controllers import settings_read
from registration.letters.documents import set_signature
from registration.letters.sealing import PassportData
from registration.letters.validation import country_names
from registration.links.access import caller
from registration.models import LetterStatus, Registration

# A letter's status words as the list shows them, marked for extraction and translated in the template.
STATUS_WORDS = (N_("pending"), N_("issued"), N_("rejected"), N_("revoked"))


@dataclass
class SignatureForm:
    signature: UploadFile | None = None


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

    async def _settings_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        event: Event,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        current = await settings_read(db_session, await services.settings_of(db_session, event.id))
        shown = {
            "review_first": "on" if current.review_first else "",
            "allow_unconfirmed": "on" if current.allow_unconfirmed else "",
            "erase_after_days": str(current.erase_after_days),
            "signatory": current.signatory,
            "signatory_title": current.signatory_title,
        }
        return render(
            request,
            "organizer/letter_settings.html",
            status_code=status_code,
            event=event,
            values={**shown, **(values or {})},
            errors=errors or {},
            has_signature=current.has_signature,
            saved=request.query_params.get("saved", ""),
        )

    @get("/settings")
    async def settings(
        self, slug: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        return await self._settings_page(request, db_session, event)

    @post("/settings")
    async def save_settings(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug, with_children=False)
        try:
            days = data.get("erase_after_days", "").strip()
            if not days.isdigit():
                raise InvalidInput(N_("a whole number of days, 0 to 3650"), field="erase_after_days")
            await services.set_rules(
                db_session,
                event,
                review_first=bool(data.get("review_first")),
                allow_unconfirmed=bool(data.get("allow_unconfirmed")),
                erase_after_days=int(days),
                signatory=data.get("signatory", ""),
                signatory_title=data.get("signatory_title", ""),
            )
        except DomainError as exc:
            await db_session.rollback()
            event = await get_event(db_session, slug, with_children=False)
            values = {key: data.get(key, "") for key in ("review_first", "allow_unconfirmed", "erase_after_days")}
            values |= {"signatory": data.get("signatory", ""), "signatory_title": data.get("signatory_title", "")}
            errors = {exc.field or "__all__": "; ".join(form_errors(exc).values())}
            return await self._settings_page(
                request, db_session, event, values=values, errors=errors, status_code=exc.status_code
            )
        await db_session.commit()
        return redirect(f"/organizer/events/{slug}/letters/settings?saved=rules")

    @post("/signature", request_max_body_size=LOGO_BODY_LIMIT)
    async def upload_signature(
        self,
        slug: FromPath[str],
        data: MultipartBody[SignatureForm],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug, with_children=False)
        try:
            if data.signature is None or not data.signature.filename:
                raise InvalidInput(N_("choose a PNG or JPEG file"), field="signature")
            await set_signature(db_session, event, await data.signature.read(MAX_LOGO_BYTES + 1), None)
        except DomainError as exc:
            await db_session.rollback()
            event = await get_event(db_session, slug, with_children=False)
            errors = {"signature": "; ".join(form_errors(exc).values())}
            return await self._settings_page(request, db_session, event, errors=errors, status_code=exc.status_code)
        await db_session.commit()
        return redirect(f"/organizer/events/{slug}/letters/settings?saved=signature")
