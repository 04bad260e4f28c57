"""The mails an attendee gets about their letter: issued, rejected (with the organizers' reason), revoked.
Each is keyed by the letter and the moment of its change, so a change mails once, also under retries."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from podium.i18n import N_
from podium.mail import MailTemplate
from podium.outbox import enqueue
from registration.mail.context import event_context, event_of, registration_link
from registration.mail.templates import SAMPLE_EVENT
from registration.models import LetterStatus, Registration, RevokedBecause, VisaLetter

# Why a letter was revoked, as the public verification page and the mail say it (translated where shown).
REASONS = {
    RevokedBecause.ORGANIZER.value: N_("revoked by the organizers"),
    RevokedBecause.CANCELLED.value: N_("the registration was cancelled"),
    RevokedBecause.TRANSFERRED.value: N_("the registration was transferred to someone else"),
    RevokedBecause.EXPIRED.value: N_("the registration was not paid in time"),
}

_TEMPLATES = {
    LetterStatus.ISSUED.value: "letter_issued",
    LetterStatus.REJECTED.value: "letter_rejected",
    LetterStatus.REVOKED.value: "letter_revoked",
}


async def enqueue_letter_mail(db_session: AsyncSession, letter: VisaLetter, registration: Registration) -> None:
    """The mail for the letter's current status (none while it is pending). No passport data goes in it."""
    template = _TEMPLATES.get(letter.status)
    if template is None:
        return
    moment = letter.revoked_at if letter.status == LetterStatus.REVOKED else letter.decided_at
    context: dict[str, Any] = {
        "event": event_context(await event_of(db_session, registration.event_id)),
        "name": registration.first_name,
        "code": letter.code,
        "note": letter.note,
        "registration_link": registration_link(registration),
        "because": letter.revoked_because or "",
        "reason": REASONS.get(letter.revoked_because or "", ""),
    }
    await enqueue(
        db_session,
        dedupe_key=f"letter:{letter.id}:{letter.status}:{moment.isoformat() if moment else ''}",
        to=registration.email,
        template=template,
        context=context,
    )


def _sample(name: str, title: str, **facts: Any) -> MailTemplate:
    base = {"event": SAMPLE_EVENT, "name": "Ada", "code": "K7QM2XWP9HRT"}
    return MailTemplate(
        name,
        title,
        {**base, "registration_link": "{registration_link:00000000-0000-4000-8000-000000000002:1}", **facts},
    )


# Installed by the composition root (``podium.main.mail_wiring``), never by importing this module.
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (
    _sample("letter_issued", N_("Visa invitation letter issued"), note=""),
    _sample(
        "letter_rejected",
        N_("Visa invitation letter refused (with the reason)"),
        note="We could not confirm your registration.",
    ),
    _sample("letter_revoked", N_("Visa invitation letter revoked"), note="", because="organizer", reason=""),
)
