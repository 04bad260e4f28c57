"""HTTP for decisions: the organizers' bulk decide, the decision mails' preview and send (API and console
page), and the presenting author's confirmation (API and the page the mail's link opens). Thin: each handler
calls the services in ``abstracts.decisions``, ``abstracts.decision_mail`` and ``abstracts.presenting``."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import decision_mail, presenting
from abstracts.decision_schemas import (
    DecisionMailPreview,
    DecisionMailResult,
    DecisionRead,
    DecisionRequest,
    DecisionResult,
    MailSelection,
    PresentingRead,
)
from abstracts.decisions import abstracts_of_call, call_of_event, decide
from abstracts.models import DECIDED, Abstract, CallForAbstracts
from events.services import get_event
from podium import audit
from podium.auth.guards import requires_organizer, requires_organizer_unless_public
from podium.errors import DomainError, InvalidInput, problem_responses
from podium.forms import FormData
from podium.i18n import gettext
from podium.pages import form_errors, render
from registration.links.tokens import LINK_SECRET_SCHEMA
from registration.mail.wording import html_body

ERRORS = problem_responses(401, 403, 404, 409, 422)
Token = Annotated[
    str | None,
    QueryParameter(name="token", schema_extra=LINK_SECRET_SCHEMA, description="the secret from the mail's link"),
]


class DecisionController(Controller):
    path = "/api/organizer/events/{event:str}/abstracts"
    tags = ["abstracts: decisions"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @post("/decisions", operation_id="decideAbstracts", status_code=HTTP_200_OK, responses=ERRORS)
    async def decide(
        self,
        event: FromPath[str],
        data: JSONBody[DecisionRequest],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> DecisionResult:
        """Accept as oral or poster, reject, or mark withdrawn: every listed abstract or none (the first bad
        id is named). Deciding the outcome an abstract already has changes nothing."""
        decided = await decide(db_session, event, data.abstract_ids, data.outcome, actor=audit.actor_of(request.user))
        result = DecisionResult(
            changed=sum(d.changed for d in decided),
            decisions=[DecisionRead(d.abstract.id, d.abstract.number, d.abstract.status, d.changed) for d in decided],
        )
        await db_session.commit()
        return result

    @post("/decision-mails/preview", operation_id="previewDecisionMails", status_code=HTTP_200_OK, responses=ERRORS)
    async def preview(
        self,
        event: FromPath[str],
        data: JSONBody[MailSelection],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> list[DecisionMailPreview]:
        """The decision mails of the listed abstracts as they would be sent now; sends nothing. Undecided
        abstracts have no mail and are left out."""
        found, call = await call_of_event(db_session, event)
        chosen = await abstracts_of_call(db_session, call, data.abstract_ids)
        shown = await decision_mail.preview(db_session, found, call, chosen, state.settings.base_url)
        return [
            DecisionMailPreview(p.abstract_id, p.to, p.template, p.mail.subject, p.mail.text, p.mail.html)
            for p in shown
        ]

    @post("/decision-mails/send", operation_id="sendDecisionMails", status_code=HTTP_200_OK, responses=ERRORS)
    async def send(
        self, event: FromPath[str], data: JSONBody[MailSelection], db_session: NamedDependency[AsyncSession]
    ) -> DecisionMailResult:
        """Queue each listed decision's mail once: a decision mailed already with its outcome is skipped, also
        when two sends race; a changed decision is mailed once more."""
        found, call = await call_of_event(db_session, event)
        chosen = await abstracts_of_call(db_session, call, data.abstract_ids)
        queued, skipped = await decision_mail.send(db_session, found, call, chosen)
        await db_session.commit()
        return DecisionMailResult(queued=queued, skipped=skipped)


class PresentingController(Controller):
    path = "/api/abstracts/{abstract_id:uuid}/presenting"
    tags = ["abstracts: decisions"]
    guards = [requires_organizer_unless_public]

    @post(
        "/",
        operation_id="confirmPresenting",
        status_code=HTTP_200_OK,
        security=[],
        opt={"public": True},
        responses=problem_responses(404, 409, 422),
    )
    async def confirm(
        self, abstract_id: FromPath[UUID], state: State, db_session: NamedDependency[AsyncSession], token: Token = None
    ) -> PresentingRead:
        """The presenting author confirms they will present (the ``token`` from the decision mail's link);
        confirming again keeps the first time. Answers where to register."""
        shown = await presenting.confirm(db_session, state.settings.secret_key, abstract_id, token)
        await db_session.commit()
        return _read(shown, state.settings.base_url)


def _read(shown: presenting.Presenting, base_url: str) -> PresentingRead:
    return PresentingRead(
        abstract_id=shown.abstract.id,
        title=shown.abstract.title,
        confirmed_at=shown.confirmed_at,
        registration_url=f"{base_url}{shown.registration_path}",
    )


class PresentingPages(Controller):
    """The page the decision mail's link opens: a button (a GET never confirms: mail scanners follow links)."""

    path = "/abstracts/{abstract_id:uuid}/presenting"
    include_in_schema = False
    guards = [requires_organizer_unless_public]

    @get("/", opt={"public": True})
    async def page(
        self,
        abstract_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        token: FromQuery[str | None] = None,
    ) -> Template:
        shown = await presenting.presenting_of(db_session, state.settings.secret_key, abstract_id, token)
        return _page(request, shown, token or "", accepted=shown.abstract.status in presenting.ACCEPTED)

    @post("/", opt={"public": True}, status_code=HTTP_200_OK)
    async def confirm(
        self,
        abstract_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        token: FromQuery[str | None] = None,
    ) -> Template:
        shown = await presenting.confirm(db_session, state.settings.secret_key, abstract_id, token)
        await db_session.commit()
        return _page(request, shown, token or "", accepted=True)


def _page(request: Request[Any, Any, Any], shown: presenting.Presenting, token: str, *, accepted: bool) -> Template:
    return render(
        request,
        "abstracts/decisions/presenting.html",
        event=shown.event,
        abstract=shown.abstract,
        confirmed_at=shown.confirmed_at,
        accepted=accepted,
        token=token,
        registration_path=shown.registration_path,
    )


class DecisionMailPages(Controller):
    """The organizers' preview of decision mails before sending, and the send button."""

    path = "/organizer/events/{slug:str}/abstracts/decision-mails"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        raw_ids: str,
        *,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        call = await _call(db_session, event.id)
        previews: list[decision_mail.Preview] = []
        pending = 0
        errors = dict(errors or {})
        if call is not None:
            try:
                chosen = await _chosen(db_session, call, raw_ids)
                previews = await decision_mail.preview(
                    db_session, event, call, chosen, request.app.state.settings.base_url
                )
                pending = len(previews)
            except DomainError as exc:
                errors |= form_errors(exc)
                status_code = exc.status_code
        return render(
            request,
            "abstracts/decisions/mails.html",
            status_code=status_code,
            event=event,
            call=call,
            ids=raw_ids,
            previews=[(p, html_body(p.mail.html)) for p in previews],
            pending=pending,
            notice=notice,
            errors=errors,
        )

    @get("/")
    async def page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        ids: FromQuery[str] = "",
    ) -> Template:
        """``ids``: abstract ids separated by commas or spaces; empty: every decided abstract of the call."""
        return await self._page(request, db_session, slug, ids[:200_000])

    @post("/", status_code=HTTP_200_OK)
    async def send(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        """Send (the same service as ``POST /api/organizer/events/{event}/abstracts/decision-mails/send``)."""
        raw_ids = data.get("ids", "")[:200_000]
        found, call = await call_of_event(db_session, slug)
        try:
            chosen = await _chosen(db_session, call, raw_ids)
        except DomainError as exc:
            return await self._page(
                request, db_session, slug, raw_ids, errors=form_errors(exc), status_code=exc.status_code
            )
        queued, skipped = await decision_mail.send(db_session, found, call, chosen)
        await db_session.commit()
        notice = gettext("%(queued)s decision mail(s) queued; %(skipped)s already sent or not decided.") % {
            "queued": queued,
            "skipped": skipped,
        }
        return await self._page(request, db_session, slug, raw_ids, notice=notice)


async def _call(db_session: AsyncSession, event_id: UUID) -> CallForAbstracts | None:
    return await db_session.scalar(select(CallForAbstracts).where(CallForAbstracts.event_id == event_id))


async def _chosen(db_session: AsyncSession, call: CallForAbstracts, raw_ids: str) -> list[Abstract]:
    """The abstracts a form names (ids separated by commas or blanks), or every decided one of the call."""
    words = raw_ids.replace(",", " ").split()
    if not words:
        return list(
            (
                await db_session.scalars(
                    select(Abstract)
                    .where(Abstract.call_id == call.id, Abstract.status.in_(list(DECIDED)))
                    .order_by(Abstract.number)
                )
            ).all()
        )
    ids: list[UUID] = []
    for index, word in enumerate(words):
        try:
            ids.append(UUID(word))
        except ValueError:
            raise InvalidInput(
                gettext("%(word)s is not an abstract id") % {"word": repr(word[:40])}, field=f"ids[{index}]"
            ) from None
    return await abstracts_of_call(db_session, call, ids, field="ids")


DECISION_CONTROLLERS = (DecisionController, PresentingController, PresentingPages, DecisionMailPages)
