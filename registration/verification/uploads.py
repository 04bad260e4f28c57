"""Proof of eligibility: attendees of a verification category upload a document (PDF, PNG or JPEG) from their
order link; organizers read it and approve or reject the registration (registration/admin/services.py).

The type is decided from the file's first bytes, never from its name or the browser's content type, and
organizers get it as an attachment with ``nosniff``, so an uploaded file can't become a page on our origin.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from events.models import Event
from podium.db import begin_write
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_, gettext
from registration.audit.services import record
from registration.models import Category, Eligibility, Order, Registration, RegistrationStatus, VerificationDocument
from registration.status_words import status_word

MAX_BYTES = 5 * 1024 * 1024
# The upload's request body: the file plus its multipart envelope, so a file just over MAX_BYTES still gets
# the clear "larger than 5 MB" answer and not a bare 413 (the app's JSON limit is smaller).
UPLOAD_BODY_LIMIT = MAX_BYTES + 64 * 1024
MAX_DOCUMENTS = 3
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
# Documents can be added until an organizer has decided.
_OPEN = (RegistrationStatus.HELD.value, RegistrationStatus.AWAITING_VERIFICATION.value)


class DocumentTooLarge(InvalidInput):
    status_code = 413
    code = "document_too_large"


def sniff(content: bytes) -> tuple[str, str]:
    """(content type, extension) from the file's magic bytes; anything else is refused."""
    for signature, content_type, extension in _SIGNATURES:
        if content.startswith(signature):
            return content_type, extension
    raise InvalidInput(N_("upload a PDF, PNG or JPEG file"), field="document", code="unsupported_document")


def safe_filename(name: str, extension: str) -> str:
    """Letters, digits, dots, dashes and underscores only, no path, and the extension of what it really is."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = base.rsplit(".", 1)[0] if "." in base else base
    ascii_only = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_only).strip("._")
    return f"{(stem or 'document')[:100]}{extension}"


async def upload(
    db_session: AsyncSession, order: Order, registration_id: UUID, filename: str, content: bytes, *, actor: str
) -> VerificationDocument:
    """Add a document to a registration awaiting its organizers' decision. The registration's row lock, held
    until the caller commits, makes racing uploads count each other against ``MAX_DOCUMENTS``."""
    if not content:
        raise InvalidInput(N_("the file is empty"), field="document")
    if len(content) > MAX_BYTES:
        raise DocumentTooLarge(
            gettext("the file is larger than %(size)d MB") % {"size": MAX_BYTES // (1024 * 1024)}, field="document"
        )
    content_type, extension = sniff(content)
    await begin_write(db_session)
    registration = await db_session.get(Registration, registration_id, with_for_update=True)
    if registration is None or registration.order_id != order.id:
        raise NotFound(N_("no such registration in this order"), field="registration_id")
    eligibility = await db_session.scalar(select(Category.eligibility).where(Category.id == registration.category_id))
    if eligibility != Eligibility.VERIFICATION:
        raise Conflict(
            N_("this registration's category needs no proof of eligibility"),
            field="registration_id",
            code="verification_not_required",
        )
    if registration.status not in _OPEN:
        raise Conflict(
            gettext("the registration is %(status)s: documents can't be added any more")
            % {"status": status_word(registration.status)},
            field="registration_id",
            code="verification_closed",
        )
    count = await db_session.scalar(select(func.count()).where(VerificationDocument.registration_id == registration_id))
    if (count or 0) >= MAX_DOCUMENTS:
        raise Conflict(
            gettext("at most %(num)d documents per attendee") % {"num": MAX_DOCUMENTS},
            field="document",
            code="too_many",
        )
    document = VerificationDocument(
        registration_id=registration_id,
        filename=safe_filename(filename, extension),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=actor,
    )
    db_session.add(document)
    record(
        db_session,
        "registration",
        registration_id,
        registration.status,
        registration.status,
        actor,
        f"verification document uploaded: {document.filename}",
        action="document_uploaded",
    )
    return document


async def document_for_organizer(db_session: AsyncSession, event: Event, document_id: UUID) -> VerificationDocument:
    document = await db_session.scalar(
        select(VerificationDocument)
        .join(Registration, Registration.id == VerificationDocument.registration_id)
        .where(VerificationDocument.id == document_id, Registration.event_id == event.id)
        .options(undefer(VerificationDocument.content))
    )
    if document is None:
        raise NotFound(N_("no such document at this event"), field="document_id")
    return document


async def check_registration_at_event(db_session: AsyncSession, event: Event, registration_id: UUID) -> None:
    event_id = await db_session.scalar(select(Registration.event_id).where(Registration.id == registration_id))
    if event_id != event.id:
        raise NotFound(N_("no such registration at this event"), field="registration_id")
