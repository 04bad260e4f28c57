"""Letters follow their registration: when it is cancelled, transferred or its unpaid hold ends, its issued letter
is revoked (the public page then says why) and a pending one is withdrawn, in the caller's transaction.

Only a letter still issued or pending changes, so a second call for the same registration changes nothing and
mails nothing: each revocation is audited and mailed once. A transfer calls this before the hand-over, so the
mail goes to the person the letter named, not to the new holder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import utcnow
from registration.audit.services import record
from registration.letters.mail import REASONS, enqueue_letter_mail
from registration.models import LetterStatus, Registration, RevokedBecause, VisaLetter


async def registrations_ended(
    db_session: AsyncSession,
    registrations: Sequence[Registration],
    because: RevokedBecause,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> list[VisaLetter]:
    """Revoke the issued and withdraw the pending letters of these registrations; returns the letters revoked."""
    if not registrations:
        return []
    by_id = {r.id: r for r in registrations}
    letters = (
        await db_session.scalars(
            select(VisaLetter)
            .where(
                VisaLetter.registration_id.in_(list(by_id)),
                VisaLetter.status.in_((LetterStatus.ISSUED.value, LetterStatus.PENDING.value)),
            )
            .order_by(VisaLetter.id)
            .with_for_update()
        )
    ).all()
    now = now or utcnow()
    revoked = []
    for letter in letters:
        before = letter.status
        if before == LetterStatus.ISSUED:
            letter.status = LetterStatus.REVOKED.value
            letter.revoked_at = now
            letter.revoked_because = because.value
            revoked.append(letter)
        else:  # never issued, so nothing to verify: refused with the reason, as an organizer would
            letter.status = LetterStatus.REJECTED.value
            letter.decided_at = now
            letter.note = REASONS[because.value]
        _audit(db_session, letter, before, actor, because)
    for letter in revoked:
        await enqueue_letter_mail(db_session, letter, by_id[letter.registration_id])
    return revoked


async def registration_ids_ended(
    db_session: AsyncSession, registration_ids: Sequence[UUID], because: RevokedBecause, *, actor: str
) -> list[VisaLetter]:
    """``registrations_ended`` for callers that hold only the ids; one query when none of them has a letter."""
    with_letters = (
        await db_session.scalars(
            select(VisaLetter.registration_id).where(
                VisaLetter.registration_id.in_(list(registration_ids)),
                VisaLetter.status.in_((LetterStatus.ISSUED.value, LetterStatus.PENDING.value)),
            )
        )
    ).all()
    if not with_letters:
        return []
    registrations = (
        await db_session.scalars(select(Registration).where(Registration.id.in_(list(set(with_letters)))))
    ).all()
    return await registrations_ended(db_session, registrations, because, actor=actor)


def _audit(db_session: AsyncSession, letter: VisaLetter, before: str, actor: str, because: RevokedBecause) -> None:
    verdict = "visa letter revoked" if letter.status == LetterStatus.REVOKED else "visa letter withdrawn"
    record(
        db_session,
        "registration",
        letter.registration_id,
        before,
        letter.status,
        actor,
        f"{verdict}: the registration was {because.value} ({letter.code})",
        event_id=letter.event_id,
        action="visa_letter",
    )
