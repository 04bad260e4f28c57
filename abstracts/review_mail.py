"""The reviewers' mails: the invitation, and the reminder of open assignments (``abstracts.review_tasks``).

Both go through the outbox in the transaction of their change, keyed so that a retry or a second worker never
writes one twice: the invitation once per reviewer record, a reminder once per reviewer per reminder window.
The link goes to the sign-in page (a one-time link or code mailed to the reviewer, ``podium.auth.sign_in``) with
the review page as ``next``; the link itself carries no secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import Reviewer
from events.models import Event
from podium.auth.models import User
from podium.i18n import N_
from podium.mail import BASE_URL_PLACEHOLDER, MailTemplate
from podium.outbox import enqueue
from registration.mail.context import event_context
from registration.mail.templates import SAMPLE_EVENT


def review_page_link(slug: str) -> str:
    return f"{BASE_URL_PLACEHOLDER}/sign-in?next=/review/events/{slug}"


REVIEW_INVITATION = MailTemplate(
    "review_invitation",
    N_("A person is invited to review abstracts"),
    {"event": SAMPLE_EVENT, "name": "Ada", "email": "ada@example.org", "review_link": review_page_link("am2027")},
)
REVIEW_REMINDER = MailTemplate(
    "review_reminder",
    N_("A reviewer still has abstracts to review"),
    {"event": SAMPLE_EVENT, "name": "Ada", "open_reviews": 4, "review_link": review_page_link("am2027")},
)
# Installed with every domain's templates by the composition root (``podium.main.mail_wiring``).
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (REVIEW_INVITATION, REVIEW_REMINDER)


def _context(event: Event, user: User, **extra: Any) -> dict[str, Any]:
    return {
        "event": event_context(event),
        "name": user.display_name or user.email,
        "review_link": review_page_link(event.slug),
        **extra,
    }


async def enqueue_invitation(
    db_session: AsyncSession, event: Event, reviewer: Reviewer, user: User, locale: str
) -> None:
    """``locale``: the invitation's language (the organizer's choice when inviting)."""
    await enqueue(
        db_session,
        dedupe_key=f"review-invitation:{reviewer.id}",
        to=user.email,
        template=REVIEW_INVITATION.name,
        context=_context(event, user, email=user.email, locale=locale),
    )


async def enqueue_reminder(
    db_session: AsyncSession, event: Event, reviewer: Reviewer, user: User, open_reviews: int, window: dt.datetime
) -> None:
    """``window`` is the start of the reminder window this reminder belongs to (its dedupe key)."""
    await enqueue(
        db_session,
        dedupe_key=f"review-reminder:{reviewer.id}:{window:%Y%m%d%H%M%S}",
        to=user.email,
        template=REVIEW_REMINDER.name,
        context=_context(event, user, open_reviews=open_reviews),
    )
