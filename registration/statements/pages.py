"""The organizers' bank statement page: upload a statement, see what each line did, and work the review list
(assign a line to an order found by reference, name or email, dismiss it with a note, or record that its money
went back to its sender), all through the same services as the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import editable_event, get_event
from podium.auth.guards import requires_organizer
from podium.errors import DomainError, FieldError, InvalidInput
from podium.forms import FormData
from podium.i18n import N_, gettext
from podium.pages import form_errors, redirect, render
from registration.statements import importing, line_refunds, review
from registration.statements.controllers import STATEMENT_BODY_LIMIT, organizer_label
from registration.statements.parsing import MAX_STATEMENT_BYTES
from registration.statements.schemas import OrderMatch

OUTCOME_LABELS = {
    "exact": N_("paid in full"),
    "partial": N_("partly paid"),
    "over": N_("over-paid"),
    "unmatched": N_("not matched"),
    "duplicate": N_("imported before"),
    "debit": N_("outgoing, ignored"),
}
REASON_LABELS = {
    "no_reference": N_("no reference"),
    "unknown_reference": N_("unknown reference"),
    "wrong_currency": N_("another currency"),
    "order_closed": N_("order expired or cancelled"),
    "already_paid": N_("order already paid"),
}


@dataclass
class StatementForm:
    file: UploadFile | None = None


class OrganizerStatementPages(Controller):
    path = "/organizer/events/{slug:str}/bank-statements"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        event: Event,
        *,
        statement: UUID | None = None,
        errors: list[FieldError] | None = None,
        candidates: tuple[UUID, list[OrderMatch]] | None = None,
        status_code: int = 200,
    ) -> Template:
        shown = await review.statement_read(db_session, event.id, statement) if statement else None
        open_lines = await review.review_list(db_session, event.id)
        return render(
            request,
            "organizer/bank_statements.html",
            status_code=status_code,
            event=event,
            shown=shown,
            statements=await review.statement_summaries(db_session, event.id),
            open_lines=open_lines,
            refund_kinds={line.id: line_refunds.refund_kind(line) for line in open_lines},
            errors=errors or [],
            candidates=candidates,
            outcome_labels={key: gettext(label) for key, label in OUTCOME_LABELS.items()},
            reason_labels={key: gettext(label) for key, label in REASON_LABELS.items()},
        )

    @get("/")
    async def page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        statement: FromQuery[UUID | None] = None,
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        return await self._page(request, db_session, event, statement=statement)

    async def _failed(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, slug: str, exc: DomainError
    ) -> Template:
        await db_session.rollback()
        event = await get_event(db_session, slug, with_children=False)
        errors = exc.errors or [FieldError("__all__", exc.detail)]
        shown = [FieldError(error.field, form_errors(InvalidInput(error.message))["__all__"]) for error in errors]
        return await self._page(request, db_session, event, errors=shown, status_code=exc.status_code)

    @post("/upload", request_max_body_size=STATEMENT_BODY_LIMIT)
    async def upload(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: MultipartBody[StatementForm],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            event = await editable_event(db_session, slug)
            if data.file is None or not data.file.filename:
                raise InvalidInput(gettext("choose a statement file (CSV or CAMT.053 XML)"), field="file")
            content = await data.file.read(MAX_STATEMENT_BYTES + 1)
            statement = await importing.import_statement(
                db_session, event, filename=data.file.filename, data=content, actor=organizer_label(request)
            )
            await db_session.commit()
        except DomainError as exc:
            return await self._failed(request, db_session, slug, exc)
        return redirect(f"/organizer/events/{slug}/bank-statements?statement={statement.id}")

    @post("/lines/{line_id:uuid}/assign")
    async def assign(
        self,
        slug: FromPath[str],
        line_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """With ``order_id`` the line is assigned; with a search text, the one order it finds is, and several are
        listed for the organizer to pick from."""
        note = data.get("note", "")[:1000]
        try:
            event = await editable_event(db_session, slug)
            order_id = data.get("order_id", "")
            if not order_id:
                matches = await review.search_orders(db_session, event.id, data.get("q", "")[:200])
                if not matches:
                    raise InvalidInput(gettext("no order matches; try the reference, a name or an email"), field="q")
                if len(matches) > 1:
                    return await self._page(request, db_session, event, candidates=(line_id, matches))
                order_id = str(matches[0].id)
            actor = organizer_label(request)
            await review.assign_line(db_session, event.id, line_id, UUID(order_id), note=note, actor=actor)
            await db_session.commit()
        except ValueError:
            return await self._failed(request, db_session, slug, InvalidInput(N_("not an order"), field="order_id"))
        except DomainError as exc:
            return await self._failed(request, db_session, slug, exc)
        return redirect(f"/organizer/events/{slug}/bank-statements#review")

    @post("/lines/{line_id:uuid}/dismiss")
    async def dismiss(
        self,
        slug: FromPath[str],
        line_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            event = await editable_event(db_session, slug)
            note = data.get("note", "").strip()[:1000]
            if not note:
                raise InvalidInput(gettext("say why the line is dismissed"), field="note")
            await review.dismiss_line(db_session, event.id, line_id, note=note, actor=organizer_label(request))
            await db_session.commit()
        except DomainError as exc:
            return await self._failed(request, db_session, slug, exc)
        return redirect(f"/organizer/events/{slug}/bank-statements#review")

    @post("/lines/{line_id:uuid}/refund")
    async def refund(
        self,
        slug: FromPath[str],
        line_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """The organizer sent the line's money (or its excess) back to the sender; the note is optional."""
        try:
            event = await editable_event(db_session, slug)
            note = data.get("note", "").strip()[:1000]
            await line_refunds.refund_line(db_session, event.id, line_id, note=note, actor=organizer_label(request))
            await db_session.commit()
        except DomainError as exc:
            return await self._failed(request, db_session, slug, exc)
        return redirect(f"/organizer/events/{slug}/bank-statements#review")
