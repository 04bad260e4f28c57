"""A letter's PDF from the database: the facts gathered (passport data unsealed only here and in the organizers'
view), the drawing run off the event loop; and the signature image organizers upload for their letters."""

from __future__ import annotations

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import normalise_logo
from events.models import Event, EventLogo
from podium.db import begin_write
from podium.errors import Conflict, InvalidInput
from podium.i18n import N_, gettext
from registration.catalog.pricing import amount_due, local_date
from registration.letters.pdf import LetterFacts, render_letter
from registration.letters.sealing import unseal
from registration.letters.services import settings_of
from registration.mail.context import attendee_context, names_of
from registration.models import (
    LetterSettings,
    LetterStatus,
    Registration,
    RegistrationStatus,
    SellerDetails,
    VisaLetter,
)


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/letters/{code}"


async def letter_pdf(db_session: AsyncSession, letter: VisaLetter, *, secret_key: str, base_url: str) -> bytes:
    """The issued letter's PDF; a pending, rejected, revoked or erased letter has none (409)."""
    if letter.status != LetterStatus.ISSUED:
        raise Conflict(
            gettext("the letter is %(status)s: there is nothing to download") % {"status": gettext(letter.status)},
            code="letter_not_issued",
        )
    sealed = await db_session.scalar(select(VisaLetter.sealed).where(VisaLetter.id == letter.id))
    if sealed is None:
        raise Conflict(N_("the passport data was erased after the event"), code="letter_erased")
    registration = await db_session.get(Registration, letter.registration_id)
    event = await db_session.get(Event, letter.event_id)
    assert registration is not None and event is not None  # foreign keys
    rules = await settings_of(db_session, event.id)
    signature = await db_session.scalar(select(LetterSettings.signature_png).where(LetterSettings.event_id == event.id))
    seller = await db_session.scalar(select(SellerDetails).where(SellerDetails.event_id == event.id))
    logo = await db_session.scalar(select(EventLogo.png).where(EventLogo.event_id == event.id))
    # What the registration covers, named in the letter's language as the attendee's mails name it.
    categories, add_ons = await names_of(db_session, event.id)
    covers = attendee_context(registration, categories, add_ons, registration.locale)
    paid = amount_due(registration) if registration.status == RegistrationStatus.CONFIRMED else 0
    facts = LetterFacts(
        seller_name=seller.legal_name if seller else "",
        seller_address=seller.address if seller else "",
        event_name=event.name,
        start_date=event.start_date,
        end_date=event.end_date,
        venue=event.venue,
        city=event.city,
        brand_colour=event.brand_colour,
        logo_png=logo,
        passport=unseal(secret_key, letter.id, sealed),
        embassy_city=letter.embassy_city,
        category=covers["category"],
        add_ons=sorted(covers["add_ons"]),
        fee_paid=paid,
        currency=event.currency,
        signature_png=signature,
        signatory=rules.signatory,
        signatory_title=rules.signatory_title,
        code=letter.code,
        verify_url=verify_url(base_url, letter.code),
        issued_on=local_date(letter.issued_at or letter.created_at, event.timezone),
        locale=registration.locale,
    )
    return await anyio.to_thread.run_sync(render_letter, facts)


async def set_signature(
    db_session: AsyncSession, event: Event, content: bytes, signatory: str | None, signatory_title: str | None = None
) -> LetterSettings:
    """The signature printed on the event's letters: PNG or JPEG, checked and re-encoded as the event's logo is
    (size and pixel limits, no metadata); the errors name the field ``signature``. A signatory's name or title
    of None keeps the one set before."""
    try:
        png, _, _ = await anyio.to_thread.run_sync(normalise_logo, content)
    except InvalidInput as exc:
        message = exc.detail.replace("the logo", "the signature")
        raise type(exc)(
            message, field="signature", code=exc.code if exc.code != "unsupported_logo" else "unsupported_signature"
        ) from None
    for field, value in {"signatory": signatory, "signatory_title": signatory_title}.items():
        if value is not None and len(value) > 200:
            raise InvalidInput(N_("at most 200 characters"), field=field)
    await begin_write(db_session)
    rules = await db_session.scalar(select(LetterSettings).where(LetterSettings.event_id == event.id))
    if rules is None:
        rules = await settings_of(db_session, event.id)
        db_session.add(rules)
    rules.signature_png = png
    if signatory is not None:
        rules.signatory = " ".join(signatory.split())
    if signatory_title is not None:
        rules.signatory_title = " ".join(signatory_title.split())
    return rules
