"""HTTP for verification documents: the buyer uploads through the order's secret link (multipart), organizers
list and download them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.errors import problem_responses
from podium.schema import Struct
from registration.links.access import actor, order_link
from registration.links.rule import ORGANIZERS
from registration.models import Order
from registration.orders.uploads import documents_of
from registration.verification import uploads as documents


@dataclass
class DocumentUpload:
    document: UploadFile


class DocumentRead(Struct):
    id: UUID
    registration_id: UUID
    filename: str
    content_type: str
    size: int
    uploaded_at: str


class VerificationUploadController(Controller):
    path = "/api/orders/{order_id:uuid}/registrations/{registration_id:uuid}/documents"
    tags = ["orders"]
    dependencies = {"order": order_link(ORGANIZERS)}

    @post(
        "/",
        operation_id="uploadVerificationDocument",
        status_code=HTTP_201_CREATED,
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 409, 413, 422),
        request_max_body_size=documents.UPLOAD_BODY_LIMIT,
    )
    async def upload(
        self,
        order: NamedDependency[Order],
        registration_id: FromPath[UUID],
        data: MultipartBody[DocumentUpload],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> DocumentRead:
        """Proof of eligibility for an attendee of a verification category: a PDF, PNG or JPEG up to 5 MB
        (form field `document`), recognised by its content. Up to 3 per attendee, until an organizer decides."""
        content = await data.document.read(documents.MAX_BYTES + 1)
        saved = await documents.upload(
            db_session, order, registration_id, data.document.filename or "", content, actor=actor(request, order)
        )
        await db_session.commit()
        return DocumentRead(
            id=saved.id,
            registration_id=registration_id,
            filename=saved.filename,
            content_type=saved.content_type,
            size=saved.size,
            uploaded_at=saved.created_at.isoformat(timespec="minutes"),
        )


class VerificationDocumentController(Controller):
    path = "/api/events/{event:str}/verification-documents"
    tags = ["registrations: organizer"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get("/", operation_id="listVerificationDocuments", responses=problem_responses(401, 403, 404, 422))
    async def list_documents(
        self, event: FromPath[str], registration_id: FromQuery[UUID], db_session: NamedDependency[AsyncSession]
    ) -> list[DocumentRead]:
        """What one registration uploaded (metadata only)."""
        found = await get_event(db_session, event, with_children=False)
        await documents.check_registration_at_event(db_session, found, registration_id)
        registration_docs = (await documents_of(db_session, [registration_id])).get(registration_id, [])
        return [
            DocumentRead(
                id=d.id,
                registration_id=registration_id,
                filename=d.filename,
                content_type=d.content_type,
                size=d.size,
                uploaded_at=d.uploaded_at,
            )
            for d in registration_docs
        ]

    @get(
        "/{document_id:uuid}",
        operation_id="downloadVerificationDocument",
        responses=problem_responses(401, 403, 404),
        media_type="application/octet-stream",
    )
    async def download(
        self, event: FromPath[str], document_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The file itself, as an attachment (never shown inline on our origin)."""
        found = await get_event(db_session, event, with_children=False)
        document = await documents.document_for_organizer(db_session, found, document_id)
        return Response(
            document.content,
            media_type=document.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{document.filename}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )
