"""What each registration uploaded as proof of eligibility, as the order view and the organizer's list show it.

Uploading and the organizer's decision (registration.verification.services) change orders, so they sit above the orders
package; this read sits in it, so the order view needs nothing from above (packages import one way)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import VerificationDocument


@dataclass(frozen=True)
class DocumentInfo:
    id: UUID
    filename: str
    content_type: str
    size: int
    uploaded_at: str


async def documents_of(db_session: AsyncSession, registration_ids: list[UUID]) -> dict[UUID, list[DocumentInfo]]:
    """What each registration uploaded (without the contents), oldest first."""
    found: dict[UUID, list[DocumentInfo]] = {}
    if not registration_ids:
        return found
    rows = await db_session.execute(
        select(
            VerificationDocument.registration_id,
            VerificationDocument.id,
            VerificationDocument.filename,
            VerificationDocument.content_type,
            VerificationDocument.size,
            VerificationDocument.created_at,
        )
        .where(VerificationDocument.registration_id.in_(registration_ids))
        .order_by(VerificationDocument.created_at)
    )
    for registration_id, doc_id, name, content_type, size, created in rows.all():
        info = DocumentInfo(doc_id, name, content_type, size, created.isoformat(timespec="minutes"))
        found.setdefault(registration_id, []).append(info)
    return found
