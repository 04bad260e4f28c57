"""HTTP for group invoices (organizers): invoice an institution for several pending orders, read, cancel, and the
invoice's PDF."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import editable_event, get_event
from podium.auth.guards import requires_organizer
from podium.errors import problem_responses
from registration.statements import group_documents, groups
from registration.statements.controllers import organizer_label
from registration.statements.group_schemas import GroupInvoiceCancel, GroupInvoiceIn, GroupInvoiceRead


class GroupInvoiceController(Controller):
    path = "/api/events/{event:str}/group-invoices"
    tags = ["bank transfer: organizer"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @post(
        operation_id="createGroupInvoice",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def create(
        self,
        event: FromPath[str],
        data: JSONBody[GroupInvoiceIn],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> GroupInvoiceRead:
        """Invoice an institution for pending orders of this event: one payment reference and due date for all,
        every order's hold stretched to it; a transfer of the whole amount with the reference pays them all. 422
        names each order that can't be invoiced; 409 for one already on an open group invoice."""
        found = await editable_event(db_session, event)
        group = await groups.create_group_invoice(db_session, found, data, actor=organizer_label(request))
        await db_session.commit()
        return await groups.group_invoice_read(db_session, found, group.id)

    @get(operation_id="listGroupInvoices", responses=problem_responses(401, 403, 404))
    async def list_all(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[GroupInvoiceRead]:
        found = await get_event(db_session, event, with_children=False)
        return await groups.group_invoices_of(db_session, found)

    @get("/{group_id:uuid}", operation_id="getGroupInvoice", responses=problem_responses(401, 403, 404))
    async def read(
        self, event: FromPath[str], group_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> GroupInvoiceRead:
        found = await get_event(db_session, event, with_children=False)
        return await groups.group_invoice_read(db_session, found, group_id)

    @get(
        "/{group_id:uuid}/invoice.pdf",
        operation_id="getGroupInvoicePdf",
        media_type="application/pdf",
        responses=problem_responses(401, 403, 404),
    )
    async def pdf(
        self, event: FromPath[str], group_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The invoice: seller, institution, each order, total, due date and how to pay (bank details, reference)."""
        found = await get_event(db_session, event, with_children=False)
        content, filename = await group_documents.group_invoice_pdf(db_session, found, group_id)
        return Response(
            content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )

    @post(
        "/{group_id:uuid}/cancel",
        operation_id="cancelGroupInvoice",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def cancel(
        self,
        event: FromPath[str],
        group_id: FromPath[UUID],
        data: JSONBody[GroupInvoiceCancel],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> GroupInvoiceRead:
        """Withdraw an open invoice; its orders can then be paid alone or invoiced again."""
        found = await editable_event(db_session, event)
        await groups.cancel_group_invoice(db_session, found, group_id, actor=organizer_label(request), note=data.note)
        await db_session.commit()
        return await groups.group_invoice_read(db_session, found, group_id)
