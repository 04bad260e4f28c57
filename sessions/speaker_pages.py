"""The organizer's pages for speakers and chairs: who they are on the program, and how to reach them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.errors import DomainError, NotFound
from podium.forms import FormData, read_form
from podium.i18n import N_
from podium.pages import form_errors, redirect, render
from sessions import speakers
from sessions.models import Speaker
from sessions.schemas import SpeakerUpdate

PAGE_SIZE = 100


class OrganizerSpeakerPages(Controller):
    """Speakers and chairs: their affiliation and bio (shown on the program) and email (organizers only)."""

    path = "/organizer/events/{slug:str}/speakers"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def list_speakers(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        """A page of 100 at a time; the search matches every word in the name, affiliation or email."""
        event = await get_event(db_session, slug, with_children=False)
        people = await speakers.list_speakers(db_session, slug)
        text = " ".join((q or "").split())[:200]
        words = text.casefold().split()
        found = [p for p in people if all(w in f"{p.name} {p.affiliation} {p.email or ''}".casefold() for w in words)]
        pages = max(1, -(-len(found) // PAGE_SIZE))
        page = max(1, min(page, pages))
        return render(
            request,
            "sessions/speakers.html",
            event=event,
            speakers=found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            total=len(people),
            found=len(found),
            q=text,
            page=page,
            pages=pages,
            query=urlencode({"q": text} if text else {}),
        )

    @get("/{speaker_id:uuid}")
    async def edit_speaker(
        self,
        slug: FromPath[str],
        speaker_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        event, speaker = await self._speaker(db_session, slug, speaker_id)
        values = {
            "name": speaker.name,
            "affiliation": speaker.affiliation,
            "bio": speaker.bio,
            "email": speaker.email or "",
        }
        return self._form(request, event, speaker, values, {})

    @post("/{speaker_id:uuid}")
    async def update_speaker(
        self,
        slug: FromPath[str],
        speaker_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        payload: dict[str, str | None] = {name: data.get(name, "") for name in ("name", "affiliation", "bio")}
        payload["email"] = data.get("email", "").strip() or None
        try:
            await speakers.update_speaker(db_session, slug, speaker_id, read_form(payload, SpeakerUpdate, strict=False))
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            event, speaker = await self._speaker(db_session, slug, speaker_id)
            status = getattr(exc, "status_code", 422)
            return self._form(request, event, speaker, data, form_errors(exc), status_code=status)
        return redirect(f"/organizer/events/{slug}/speakers/{speaker_id}?saved=1")

    async def _speaker(self, db_session: AsyncSession, slug: str, speaker_id: UUID) -> tuple[Any, Speaker]:
        event = await get_event(db_session, slug, with_children=False)
        speaker = await db_session.scalar(select(Speaker).where(Speaker.id == speaker_id, Speaker.event_id == event.id))
        if speaker is None:
            raise NotFound(N_("no such speaker in this event"), field="speaker_id")
        return event, speaker

    def _form(
        self,
        request: Request[Any, Any, Any],
        event: Any,
        speaker: Speaker,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "sessions/speaker_form.html",
            status_code=status_code,
            event=event,
            speaker=speaker,
            values=values,
            errors=errors,
            saved=request.query_params.get("saved") == "1",
        )
