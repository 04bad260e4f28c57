"""HTTP for bank statements (organizers): upload one, read an import's lines, and work the review list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, MultipartBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import editable_event, get_event
from podium.auth.guards import requires_organizer
from podium.errors import problem_responses
from registration.links.access import caller
from registration.statements import importing, line_refunds, review
from registration.statements.parsing import MAX_STATEMENT_BYTES
from registration.statements.schemas import (
    AssignLineIn,
    DismissLineIn,
    OrderMatch,
    RefundLineIn,
    StatementLineRead,
    StatementRead,
    StatementSummary,
)

# The multipart envelope around a file at the limit, so one just over it gets the clear 422, not a bare 413.
STATEMENT_BODY_LIMIT = MAX_STATEMENT_BYTES + 64 * 1024
SearchText = Annotated[str, QueryParameter(name="q", min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


@dataclass
class StatementUpload:
    file: UploadFile


def organizer_label(request: Request[Any, Any, Any]) -> str:
    user = caller(request)
    return f"organizer:{user.email}" if user is not None else "organizer"


class BankStatementController(Controller):
    path = "/api/events/{event:str}/bank-statements"
    tags = ["bank statements: organizer"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @post(
        operation_id="importBankStatement",
        status_code=HTTP_201_CREATED,
        request_max_body_size=STATEMENT_BODY_LIMIT,
        responses=problem_responses(401, 403, 404, 409, 413, 422),
    )
    async def upload(
        self,
        event: FromPath[str],
        data: MultipartBody[StatementUpload],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> StatementRead:
        """Import a statement (form field `file`): a CSV export (`,` or `;`, decimal point or comma, UTF-8) or a
        CAMT.053 XML file, up to 5 MB. Each line is matched to an order by its payment reference and amount:
        exact pays it, partial and over-payments are recorded and listed for review, unknown ones are listed, debits
        and lines imported before are ignored. 422 names every bad row and column (nothing is written); 409 for a
        file imported before."""
        found = await editable_event(db_session, event)
        content = await data.file.read(MAX_STATEMENT_BYTES + 1)
        statement = await importing.import_statement(
            db_session, found, filename=data.file.filename or "", data=content, actor=organizer_label(request)
        )
        await db_session.commit()
        return await review.statement_read(db_session, found.id, statement.id)

    @get(operation_id="listBankStatements", responses=problem_responses(401, 403, 404))
    async def list_statements(
        self, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> list[StatementSummary]:
        found = await get_event(db_session, event, with_children=False)
        return await review.statement_summaries(db_session, found.id)

    @get("/{statement_id:uuid}", operation_id="getBankStatement", responses=problem_responses(401, 403, 404))
    async def read(
        self, event: FromPath[str], statement_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> StatementRead:
        found = await get_event(db_session, event, with_children=False)
        return await review.statement_read(db_session, found.id, statement_id)


class BankStatementReviewController(Controller):
    path = "/api/events/{event:str}/bank-statement-review"
    tags = ["bank statements: organizer"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get(operation_id="listBankStatementReview", responses=problem_responses(401, 403, 404))
    async def open_lines(
        self, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> list[StatementLineRead]:
        """Lines waiting for a person: partial and over-payments, and lines no order could be found for."""
        found = await get_event(db_session, event, with_children=False)
        return await review.review_list(db_session, found.id)

    @get("/orders", operation_id="searchOrdersForBankLine", responses=problem_responses(401, 403, 404, 422))
    async def search(
        self, event: FromPath[str], q: SearchText, db_session: NamedDependency[AsyncSession]
    ) -> list[OrderMatch]:
        """Orders to assign a line to, by payment reference, buyer or attendee name, or email."""
        found = await get_event(db_session, event, with_children=False)
        return await review.search_orders(db_session, found.id, q)

    @post(
        "/{line_id:uuid}/assign",
        operation_id="assignBankStatementLine",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def assign(
        self,
        event: FromPath[str],
        line_id: FromPath[UUID],
        data: JSONBody[AssignLineIn],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> StatementLineRead:
        """Record the line's money against an order (an unmatched line), or acknowledge a partial or over-paid
        one for its order; 409 once the line is decided."""
        found = await editable_event(db_session, event)
        body = await review.assign_line(
            db_session, found.id, line_id, data.order_id, note=data.note, actor=organizer_label(request)
        )
        await db_session.commit()
        return body

    @post(
        "/{line_id:uuid}/dismiss",
        operation_id="dismissBankStatementLine",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def dismiss(
        self,
        event: FromPath[str],
        line_id: FromPath[UUID],
        data: JSONBody[DismissLineIn],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> StatementLineRead:
        """Take the line off the review list with a note saying why."""
        found = await editable_event(db_session, event)
        body = await review.dismiss_line(db_session, found.id, line_id, note=data.note, actor=organizer_label(request))
        await db_session.commit()
        return body

    @post(
        "/{line_id:uuid}/refund",
        operation_id="refundBankStatementLine",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def refund(
        self,
        event: FromPath[str],
        line_id: FromPath[UUID],
        data: JSONBody[RefundLineIn],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> StatementLineRead:
        """Record that you sent the line's money back to its sender: all of it when its order had ended (expired
        or cancelled), the excess of an over-payment; the order's ledger shows the refund and its buyer is mailed
        once. 409 once decided, or for a line with nothing an order can't keep."""
        found = await editable_event(db_session, event)
        body = await line_refunds.refund_line(
            db_session, found.id, line_id, note=data.note, actor=organizer_label(request)
        )
        await db_session.commit()
        return body
