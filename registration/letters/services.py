"""The letter's life: asked for (issued at once or pending review), approved or rejected, revoked, its passport
data shown to an organizer (audited) and erased after the event. Services change state and write the audit
entry and the mail in the caller's transaction; they never commit.

Nothing here logs, formats or audits passport data: audit notes name the letter, never its contents.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from events.models import Event
from podium.db import begin_write, utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_, gettext
from registration.audit.services import record
from registration.letters.mail import enqueue_letter_mail
from registration.letters.sealing import PassportData, seal, unseal
from registration.models import (
    LetterSettings,
    LetterStatus,
    Registration,
    RegistrationStatus,
    RevokedBecause,
    VisaLetter,
)
from registration.status_words import status_word

# Printer-safe: no 0/O, 1/I/L look-alikes; 12 characters of 31 are ~59 bits, beyond guessing on a public page.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
_UNCONFIRMED = (RegistrationStatus.HELD.value, RegistrationStatus.AWAITING_VERIFICATION.value)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def settings_of(db_session: AsyncSession, event_id: UUID) -> LetterSettings:
    """The event's letter rules; an event that never set them gets the defaults (not stored)."""
    found = await db_session.scalar(select(LetterSettings).where(LetterSettings.event_id == event_id))
    return found or LetterSettings(
        event_id=event_id,
        review_first=False,
        allow_unconfirmed=False,
        erase_after_days=30,
        signatory="",
        signatory_title="",
    )


async def letter_of(db_session: AsyncSession, registration_id: UUID) -> VisaLetter | None:
    """The registration's current holder's letter: its newest, unless a transfer revoked that one (it named the
    previous holder, and the new holder may ask for their own)."""
    letter = await db_session.scalar(
        select(VisaLetter)
        .where(VisaLetter.registration_id == registration_id)
        .order_by(VisaLetter.created_at.desc())
        .limit(1)
    )
    return None if letter is None or letter.revoked_because == RevokedBecause.TRANSFERRED else letter


async def request_letter(
    db_session: AsyncSession,
    registration: Registration,
    data: PassportData,
    embassy_city: str,
    *,
    secret_key: str,
    actor: str,
    now: dt.datetime | None = None,
) -> VisaLetter:
    """A new letter for the registration: issued at once when it is confirmed and the event doesn't review first,
    else pending. One letter per holder: after a rejection the attendee may ask again, and after a transfer
    (which revoked the previous holder's letter) the new holder asks for a letter of their own."""
    now = now or utcnow()
    await begin_write(db_session)
    locked = await db_session.get(Registration, registration.id, with_for_update=True, populate_existing=True)
    assert locked is not None  # opened by its link a moment ago, in this transaction
    rules = await settings_of(db_session, locked.event_id)
    if locked.status != RegistrationStatus.CONFIRMED and not (
        rules.allow_unconfirmed and locked.status in _UNCONFIRMED
    ):
        raise Conflict(
            gettext("the registration is %(status)s: letters are for confirmed registrations")
            % {"status": status_word(locked.status)},
            field="registration_id",
            code="not_confirmed",
        )
    letter = await letter_of(db_session, locked.id)
    if letter is not None and letter.status != LetterStatus.REJECTED:
        raise Conflict(
            gettext("this registration already has a letter (%(status)s)") % {"status": gettext(letter.status)},
            code="letter_exists",
        )
    if letter is None:
        letter = VisaLetter(id=uuid4(), event_id=locked.event_id, registration_id=locked.id, code=new_code(), note="")
        db_session.add(letter)
    immediate = locked.status == RegistrationStatus.CONFIRMED and not rules.review_first
    letter.embassy_city = embassy_city
    letter.holder_name = f"{locked.first_name} {locked.last_name}"[:300]
    letter.sealed = seal(secret_key, letter.id, data)
    letter.number_tail = data.passport_number[-3:]
    letter.status = (LetterStatus.ISSUED if immediate else LetterStatus.PENDING).value
    letter.issued_at = now if immediate else None
    letter.decided_at = now if immediate else None
    letter.note = ""
    _audit(db_session, letter, None, actor, "visa letter requested")
    if immediate:
        await enqueue_letter_mail(db_session, letter, locked)
    return letter


async def _letter_at(db_session: AsyncSession, event: Event, letter_id: UUID) -> VisaLetter:
    await begin_write(db_session)
    letter = await db_session.get(VisaLetter, letter_id, with_for_update=True, populate_existing=True)
    if letter is None or letter.event_id != event.id:
        raise NotFound(N_("no such letter at this event"), field="letter_id")
    return letter


async def _registration(db_session: AsyncSession, letter: VisaLetter) -> Registration:
    registration = await db_session.get(Registration, letter.registration_id)
    assert registration is not None  # the foreign key
    return registration


async def decide(
    db_session: AsyncSession,
    event: Event,
    letter_id: UUID,
    *,
    approve: bool,
    note: str,
    actor: str,
    now: dt.datetime | None = None,
) -> VisaLetter:
    """Issue or reject a pending letter; the attendee is mailed either way (once: the decision happens once)."""
    now = now or utcnow()
    letter = await _letter_at(db_session, event, letter_id)
    if letter.status != LetterStatus.PENDING:
        raise Conflict(
            gettext("the letter is %(status)s, not pending") % {"status": gettext(letter.status)},
            field="letter_id",
            code="not_pending",
        )
    if not approve and not note.strip():
        raise InvalidInput(N_("say why the letter is refused: the attendee is told"), field="note")
    before = letter.status
    letter.status = (LetterStatus.ISSUED if approve else LetterStatus.REJECTED).value
    letter.decided_at = now
    letter.issued_at = now if approve else None
    letter.note = note.strip()[:2000]
    _audit(db_session, letter, before, actor, "visa letter issued" if approve else "visa letter rejected")
    await enqueue_letter_mail(db_session, letter, await _registration(db_session, letter))
    return letter


async def revoke(
    db_session: AsyncSession, event: Event, letter_id: UUID, *, note: str, actor: str, now: dt.datetime | None = None
) -> VisaLetter:
    """An issued letter stops being valid: its public page says revoked, the attendee is mailed once."""
    letter = await _letter_at(db_session, event, letter_id)
    if letter.status != LetterStatus.ISSUED:
        raise Conflict(
            gettext("the letter is %(status)s, not issued") % {"status": gettext(letter.status)},
            field="letter_id",
            code="not_issued",
        )
    letter.status = LetterStatus.REVOKED.value
    letter.revoked_at = now or utcnow()
    letter.revoked_because = RevokedBecause.ORGANIZER.value
    letter.note = note.strip()[:2000]
    _audit(db_session, letter, LetterStatus.ISSUED.value, actor, "visa letter revoked")
    await enqueue_letter_mail(db_session, letter, await _registration(db_session, letter))
    return letter


async def passport_data(
    db_session: AsyncSession, event: Event, letter_id: UUID, *, secret_key: str, actor: str
) -> PassportData | None:
    """The passport data, for an organizer; every view is written to the audit trail (None once erased)."""
    await begin_write(db_session)  # a GET that writes (the audit entry)
    letter = await db_session.get(VisaLetter, letter_id, options=[undefer(VisaLetter.sealed)])
    if letter is None or letter.event_id != event.id:
        raise NotFound(N_("no such letter at this event"), field="letter_id")
    record(
        db_session,
        "registration",
        letter.registration_id,
        letter.status,
        letter.status,
        actor,
        f"passport data of visa letter {letter.code} viewed",
        event_id=letter.event_id,
        action="letter_passport_viewed",
    )
    return None if letter.sealed is None else unseal(secret_key, letter.id, letter.sealed)


async def list_letters(db_session: AsyncSession, event: Event, status: LetterStatus | None) -> Sequence[VisaLetter]:
    query = select(VisaLetter).where(VisaLetter.event_id == event.id).order_by(VisaLetter.created_at)
    if status is not None:
        query = query.where(VisaLetter.status == status.value)
    return (await db_session.scalars(query)).all()


async def erase_due(db_session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Null the passport data of letters whose event ended more than its ``erase_after_days`` ago (default 30)."""
    today = (now or utcnow()).date()
    rows = (
        await db_session.execute(
            select(VisaLetter.id, Event.end_date, LetterSettings.erase_after_days)
            .join(Event, Event.id == VisaLetter.event_id)
            .outerjoin(LetterSettings, LetterSettings.event_id == VisaLetter.event_id)
            .where(VisaLetter.erased_at.is_(None))
        )
    ).all()
    due = [row.id for row in rows if row.end_date + dt.timedelta(days=_days(row.erase_after_days)) < today]
    if not due:
        return 0
    await db_session.execute(
        update(VisaLetter)
        .where(VisaLetter.id.in_(due), VisaLetter.erased_at.is_(None))
        .values(sealed=None, number_tail=None, erased_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return len(due)


def _days(configured: int | None) -> int:
    return 30 if configured is None else configured


def _audit(db_session: AsyncSession, letter: VisaLetter, before: str | None, actor: str, verdict: str) -> None:
    record(
        db_session,
        "registration",
        letter.registration_id,
        before,
        letter.status,
        actor,
        f"{verdict} ({letter.code})",
        event_id=letter.event_id,
        action="visa_letter",
    )


async def set_rules(
    db_session: AsyncSession,
    event: Event,
    *,
    review_first: bool,
    allow_unconfirmed: bool,
    erase_after_days: int,
    signatory: str | None = None,
    signatory_title: str | None = None,
) -> LetterSettings:
    """The event's letter rules, and the signatory's name and title when given (None keeps them)."""
    names = {"signatory": signatory, "signatory_title": signatory_title}
    for field, value in names.items():
        if value is not None and len(" ".join(value.split())) > 200:
            raise InvalidInput(N_("at most 200 characters"), field=field)
    if not 0 <= erase_after_days <= 3650:
        raise InvalidInput(N_("between 0 and 3650 days"), field="erase_after_days")
    await begin_write(db_session)
    rules = await db_session.scalar(select(LetterSettings).where(LetterSettings.event_id == event.id))
    if rules is None:
        rules = await settings_of(db_session, event.id)
        db_session.add(rules)
    rules.review_first = review_first
    rules.allow_unconfirmed = allow_unconfirmed
    rules.erase_after_days = erase_after_days
    if signatory is not None:
        rules.signatory = " ".join(signatory.split())
    if signatory_title is not None:
        rules.signatory_title = " ".join(signatory_title.split())
    return rules


async def public_letter(db_session: AsyncSession, code: str) -> tuple[VisaLetter, Registration, Event]:
    """The letter a verification code names, for its public page (404 for any other code)."""
    normalised = "".join(code.split()).upper()
    if not normalised.isalnum() or len(normalised) != CODE_LENGTH:
        raise NotFound(N_("no letter with this code"), field="code")
    row = (
        await db_session.execute(
            select(VisaLetter, Registration, Event)
            .join(Registration, Registration.id == VisaLetter.registration_id)
            .join(Event, Event.id == VisaLetter.event_id)
            .where(VisaLetter.code == normalised)
        )
    ).first()
    if row is None or row[0].status not in (LetterStatus.ISSUED, LetterStatus.REVOKED):
        raise NotFound(N_("no letter with this code"), field="code")
    return row[0], row[1], row[2]
