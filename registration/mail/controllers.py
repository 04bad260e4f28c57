"""HTTP for the organizers' mail templates: the API (list, preview, wording) and the console page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium import audit
from podium.auth.guards import requires_organizer
from podium.errors import DomainError, NotFound, problem_responses
from podium.forms import FormData
from podium.i18n import gettext
from podium.pages import form_errors, redirect, render
from registration.mail import wording as mail_wording
from registration.mail.schemas import MailPreview, MailTemplateRead, MailWordingIO


class MailTemplateController(Controller):
    path = "/api/events/{event:str}/mail-templates"
    tags = ["mail"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get("/", operation_id="listMailTemplates", responses=problem_responses(401, 403, 404))
    async def list_templates(
        self, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> list[MailTemplateRead]:
        """Every mail the event sends, with the event's own wording for each (empty: the default)."""
        return await mail_wording.list_templates(db_session, await get_event(db_session, event))

    @get("/{name:str}/preview", operation_id="previewMailTemplate", responses=problem_responses(401, 403, 404))
    async def preview(
        self, event: FromPath[str], name: FromPath[str], state: State, db_session: NamedDependency[AsyncSession]
    ) -> MailPreview:
        """The mail rendered with sample facts and the event's wording: subject, plain text and HTML."""
        found = await get_event(db_session, event)
        return await mail_wording.preview(db_session, found, name, state.settings.base_url)

    @put("/{name:str}/wording", operation_id="setMailWording", responses=problem_responses(401, 403, 404, 422))
    async def set_wording(
        self,
        event: FromPath[str],
        name: FromPath[str],
        data: JSONBody[MailWordingIO],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> MailTemplateRead:
        """The event's subject, opening paragraph and sign-off for this mail, as plain text."""
        found = await get_event(db_session, event)
        result = await mail_wording.set_wording(db_session, found, name, data, actor=audit.actor_of(request.user))
        await db_session.commit()
        return result


class OrganizerMailPages(Controller):
    path = "/organizer/events/{slug:str}/mail"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        name: str | None,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        notice: str | None = None,
        status_code: int = 200,
    ) -> Template:
        event = await get_event(db_session, slug)
        templates = await mail_wording.list_templates(db_session, event)
        chosen = next((t for t in templates if t.name == name), templates[0] if templates else None)
        if name is not None and (chosen is None or chosen.name != name):
            raise NotFound(gettext("no mail template %(name)s") % {"name": repr(name)}, field="template")
        shown, default_subject = None, ""
        if chosen is not None:
            base_url = request.app.state.settings.base_url
            shown = mail_wording.render_preview(event, chosen.name, chosen.wording, base_url)
            default_subject = mail_wording.render_preview(event, chosen.name, MailWordingIO(), base_url).subject
        return render(
            request,
            "organizer/mail.html",
            status_code=status_code,
            event=event,
            templates=templates,
            chosen=chosen,
            preview=shown,
            preview_body=mail_wording.html_body(shown.html) if shown else "",
            default_subject=default_subject,
            values=values if values is not None else (msgspec.to_builtins(chosen.wording) if chosen else {}),
            errors=errors or {},
            notice=notice,
        )

    @get("/")
    async def page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        template: FromQuery[str | None] = None,
        notice: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(request, db_session, slug, template, notice=(notice or "")[:200] or None)

    @get("/{name:str}/preview.html")
    async def preview_html(
        self,
        slug: FromPath[str],
        name: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[str]:
        """The HTML part as a mail client shows it (its inline styles allowed by a policy of its own)."""
        event = await get_event(db_session, slug)
        shown = await mail_wording.preview(db_session, event, name, request.app.state.settings.base_url)
        return Response(
            shown.html, media_type="text/html", headers={"Content-Security-Policy": mail_wording.PREVIEW_POLICY}
        )

    @post("/{name:str}")
    async def save(
        self,
        slug: FromPath[str],
        name: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """Save the wording (the same service as ``PUT /api/events/{event}/mail-templates/{name}/wording``)."""
        event = await get_event(db_session, slug)
        values = {f: data.get(f, "") for f in ("subject", "intro", "sign_off")}
        try:
            body = msgspec.convert(values, MailWordingIO)
            await mail_wording.set_wording(db_session, event, name, body, actor=audit.actor_of(request.user))
            await db_session.commit()
        except (DomainError, msgspec.ValidationError) as exc:
            if isinstance(exc, DomainError) and exc.status_code == 404:
                raise
            return await self._page(
                request, db_session, slug, name, values=values, errors=form_errors(exc), status_code=422
            )
        query = urlencode({"template": name, "notice": gettext("Wording saved.")})
        return redirect(f"/organizer/events/{slug}/mail?{query}")
