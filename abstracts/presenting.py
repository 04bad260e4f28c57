"""The presenting author's confirmation that they will present an accepted abstract, from the link in the
decision mail (``abstracts.decision_mail.presenting_url``).

Confirming is one conditional UPDATE that only sets ``presenting_confirmed_at`` while it is empty, so clicking
twice, or two tabs at once, keep the first time. A confirmed presenter is pointed at the event's registration
page, with the call's presenter category chosen (and its access code filled in) when the organizer named one.
A wrong token answers the same 404 as an unknown abstract, so the link reveals nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.decision_mail import presenting_token
from abstracts.models import Abstract, AbstractStatus, CallForAbstracts
from events.models import Event
from podium import audit
from podium.db import utcnow
from podium.errors import Conflict, NotFound
from podium.i18n import N_
from registration.links.tokens import link_secret_matches
from registration.models import Category

ACCEPTED = (AbstractStatus.ACCEPTED_ORAL.value, AbstractStatus.ACCEPTED_POSTER.value)


@dataclass(frozen=True, slots=True)
class Presenting:
    abstract: Abstract
    event: Event
    confirmed_at: dt.datetime | None
    registration_path: str
    """Where the presenter registers (see the module)."""


async def presenting_of(db_session: AsyncSession, secret_key: str, abstract_id: UUID, token: str | None) -> Presenting:
    """The abstract the link names, with its event; 404 ``token`` for an unknown abstract or a wrong token."""
    if not link_secret_matches(presenting_token(secret_key, abstract_id), token):
        raise NotFound(N_("no such confirmation link"), field="token")
    found = (
        await db_session.execute(
            select(Abstract, Event, Category.code, Category.access_code)
            .join(CallForAbstracts, CallForAbstracts.id == Abstract.call_id)
            .join(Event, Event.id == CallForAbstracts.event_id)
            .outerjoin(Category, Category.id == CallForAbstracts.presenter_category_id)
            .where(Abstract.id == abstract_id)
        )
    ).first()
    if found is None:
        raise NotFound(N_("no such confirmation link"), field="token")
    abstract, event, category, access_code = found
    path = registration_path(event.slug, category, access_code)
    return Presenting(abstract, event, abstract.presenting_confirmed_at, path)


async def confirm(db_session: AsyncSession, secret_key: str, abstract_id: UUID, token: str | None) -> Presenting:
    """Record that the presenting author will present; idempotent. Only an accepted abstract is presented
    (409 ``not_accepted``: rejected, withdrawn, or the decision changed since the mail)."""
    shown = await presenting_of(db_session, secret_key, abstract_id, token)
    if shown.abstract.status not in ACCEPTED:
        raise Conflict(N_("this abstract is not accepted (any more)"), field="abstract", code="not_accepted")
    now = utcnow()
    await db_session.execute(
        update(Abstract)
        .where(
            Abstract.id == abstract_id,
            Abstract.presenting_confirmed_at.is_(None),
            Abstract.status.in_(ACCEPTED),
        )
        .values(presenting_confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    await db_session.refresh(shown.abstract)
    confirmed_at = shown.abstract.presenting_confirmed_at
    if confirmed_at is None:
        raise Conflict(N_("this abstract is not accepted (any more)"), field="abstract", code="not_accepted")
    if confirmed_at == now:
        audit.record(
            db_session,
            "abstract",
            abstract_id,
            shown.abstract.status,
            shown.abstract.status,
            audit.Actor("presenting author", role="attendee"),
            "presenting confirmed",
            event_id=shown.event.id,
            action="presenting_confirmed",
        )
    return Presenting(shown.abstract, shown.event, confirmed_at, shown.registration_path)


def registration_path(slug: str, category: str | None, access_code: str | None) -> str:
    """The event's registration form, with ``category`` chosen and its ``access_code`` filled in if given."""
    query = {"category": category, "code": access_code} if category else {}
    suffix = "?" + urlencode({k: v for k, v in query.items() if v}) if query else ""
    return f"/events/{slug}/register{suffix}"
