"""HTTP for receipts and credit notes, the buyer's billing details and the event's seller details.

The order's holder (its secret link) and organizers read an order's documents; organizers list an event's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from litestar import Controller, Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event
from podium import audit
from podium.auth.guards import requires_organizer
from podium.auth.schemas import CurrentUser
from podium.errors import Conflict, NotFound, problem_responses
from podium.i18n import N_
from registration.documents import billing
from registration.documents import services as documents
from registration.documents.receipts import receipt_number
from registration.documents.schemas import BillingIn, BillingRead, DocumentRead, SellerIn, SellerRead
from registration.links.access import actor, order_link
from registration.links.rule import ORGANIZERS
from registration.models import Document, Order

Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]


def _reads(event_slug: str, rows: Sequence[Document]) -> list[DocumentRead]:
    numbers = {d.id: documents.document_number(event_slug, d) for d in rows}
    return [_read(event_slug, d, numbers.get(d.corrects_id) if d.corrects_id else None) for d in rows]


def _read(event_slug: str, row: Document, corrects: str | None) -> DocumentRead:
    number = documents.document_number(event_slug, row)
    if row.corrects_id is not None and corrects is None:
        corrects = documents.stored(row).corrects
    return DocumentRead(
        id=row.id,
        order_id=row.order_id,
        kind=cast(Literal["receipt", "credit_note"], row.kind),
        status="issued" if number else "pending",
        number=number,
        issued_at=row.issued_at,
        currency=row.currency,
        total=row.total,
        reason=row.reason,
        corrects=corrects,
        pdf_url=f"/api/orders/{row.order_id}/documents/{row.id}/pdf" if number else None,
    )


def _pdf(content: bytes, filename: str) -> Response[bytes]:
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


class OrderDocumentController(Controller):
    """An order's receipts and credit notes and its billing details, for its holder (secret) or organizers."""

    path = "/api/orders/{order_id:uuid}"
    tags = ["orders"]
    dependencies = {"order": order_link(ORGANIZERS)}

    @get(
        "/documents",
        operation_id="listOrderDocuments",
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422),
    )
    async def list_documents(
        self,
        order: NamedDependency[Order],
        db_session: NamedDependency[AsyncSession],
    ) -> list[DocumentRead]:
        """Receipts and credit notes of the order, in number order; any still pending are numbered first."""
        event_slug = (await db_session.get_one(Event, order.event_id)).slug
        issued = await documents.ensure_documents_issued(db_session, order.id)
        await db_session.commit()  # the numbers just taken (the event's counter row is locked until then)
        return _reads(event_slug, issued)

    @get(
        "/documents/{document_id:uuid}/pdf",
        operation_id="getOrderDocumentPdf",
        security=[{}, {"bearer": []}],
        media_type="application/pdf",
        responses=problem_responses(404, 422),
    )
    async def document_pdf(
        self,
        order: NamedDependency[Order],
        document_id: FromPath[UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[bytes]:
        """One receipt or credit note as PDF: always the same document, whatever happened to the order since."""
        rows = await documents.ensure_documents_issued(db_session, order.id)
        await db_session.commit()
        found = next((d for d in rows if d.id == document_id), None)
        if found is None:
            raise NotFound(N_("no such document in this order"), field="document_id")
        return _pdf(*await documents.document_pdf(db_session, found))

    @get(
        "/receipt.pdf",
        operation_id="getReceipt",
        security=[{}, {"bearer": []}],
        media_type="application/pdf",
        responses=problem_responses(404, 409, 422),
    )
    async def receipt(
        self,
        order: NamedDependency[Order],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[bytes]:
        """The order's current receipt (the latest one no credit note cancels) as PDF."""
        current = documents.current_receipt(await documents.ensure_documents_issued(db_session, order.id))
        await db_session.commit()
        if current is None:
            raise Conflict(N_("there is no receipt: the order is not paid"), field="order", code="not_paid")
        return _pdf(*await documents.document_pdf(db_session, current))

    @get(
        "/billing",
        operation_id="getBillingDetails",
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422),
    )
    async def get_billing(
        self,
        order: NamedDependency[Order],
        db_session: NamedDependency[AsyncSession],
    ) -> BillingRead:
        return await billing.get_billing(db_session, order)

    @put(
        "/billing",
        operation_id="setBillingDetails",
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 409, 422),
    )
    async def set_billing(
        self,
        order: NamedDependency[Order],
        data: JSONBody[BillingIn],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> BillingRead:
        """What the receipt should say about the buyer (organization, address, country, tax id, PO number).

        Before the receipt is issued it simply goes on it; after, a credit note cancels the issued receipt
        and a new one carries the new details."""
        result = await billing.set_billing(db_session, order, data, actor=actor(request, order))
        await db_session.commit()
        return result


class EventDocumentController(Controller):
    """Organizers: an event's receipts and credit notes, and the seller details printed on them."""

    path = "/api/events/{event:str}"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get("/documents", operation_id="listEventDocuments", responses=problem_responses(401, 403, 404, 422))
    async def list_documents(
        self,
        event: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        kind: FromQuery[Literal["receipt", "credit_note"] | None] = None,
        limit: FromQuery[Limit] = 100,
        offset: FromQuery[Offset] = 0,
    ) -> list[DocumentRead]:
        """Issued documents in number order (pending ones get their numbers within moments)."""
        found = await get_event(db_session, event, with_children=False)
        query = select(Document).where(Document.event_id == found.id, Document.number.is_not(None))
        if kind is not None:
            query = query.where(Document.kind == kind)
        rows = (await db_session.scalars(query.order_by(Document.number).limit(limit).offset(offset))).all()
        corrected_ids = {d.corrects_id for d in rows if d.corrects_id is not None}
        corrected = (
            dict(
                (await db_session.execute(select(Document.id, Document.number).where(Document.id.in_(corrected_ids))))
                .tuples()
                .all()
            )
            if corrected_ids
            else {}
        )
        return [
            _read(
                found.slug,
                d,
                receipt_number(found.slug, n) if d.corrects_id and (n := corrected.get(d.corrects_id)) else None,
            )
            for d in rows
        ]

    @get("/seller", operation_id="getSellerDetails", responses=problem_responses(401, 403, 404))
    async def get_seller(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> SellerRead:
        return await billing.get_seller(db_session, event)

    @put("/seller", operation_id="setSellerDetails", responses=problem_responses(401, 403, 404, 409, 422))
    async def set_seller(
        self,
        event: FromPath[str],
        data: JSONBody[SellerIn],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> SellerRead:
        """Legal name, address, tax id and footer printed on the event's receipts from now on."""
        user = request.scope.get("user")
        actor = audit.actor_of(user if isinstance(user, CurrentUser) else None, fallback="organizer")
        result = await billing.set_seller(db_session, event, data, actor=actor)
        await db_session.commit()
        return result
