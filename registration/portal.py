"""The attendee's own access: a registration opened by its secret link (or by an organizer)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from podium.errors import NotFound
from registration.links import link_secret_matches, registration_secret
from registration.models import Registration


def registration_secret_matches(secret_key: str, registration: Registration, candidate: str | None) -> bool:
    expected = registration_secret(secret_key, registration.id, registration.secret_version)
    return link_secret_matches(expected, candidate)


async def registration_for_secret(
    db_session: AsyncSession,
    registration_id: UUID,
    *,
    secret: str | None,
    secret_key: str,
    organizer: bool = False,
) -> Registration:
    """The registration if the secret is its current one (or an organizer asks); otherwise the same 404 an
    unknown id gets, so a wrong secret reveals nothing."""
    registration = await db_session.get(Registration, registration_id)
    if registration is None or not (organizer or registration_secret_matches(secret_key, registration, secret)):
        raise NotFound("no such registration", field="registration_id")
    return registration
