"""HTTP for letters: the attendee asks and downloads through their registration's secret link; organizers list,
decide, revoke, read the passport data (audited), set the rules and upload the signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import LOGO_BODY_LIMIT, MAX_LOGO_BYTES
from events.services import get_event
from podium.auth.guards import requires_organizer
from podium.db import utcnow
from podium.errors import NotFound, problem_responses
from podium.i18n import N_
from registration.letters import services
from registration.letters.documents import letter_pdf, set_signature, verify_url
from registration.letters.schemas import (
    LetterDecision,
    LetterListItem,
    LetterRead,
    LetterRequest,
    LetterSettingsIn,
    LetterSettingsRead,
    PassportRead,
)
from registration.letters.validation import check_request, mask
from registration.links.access import RegistrationHolder, caller, registration_holder_link
from registration.links.rule import SECRET_ONLY
from registration.models import LetterSettings, LetterStatus, Registration, RevokedBecause, VisaLetter

BEARER: list[SecurityRequirement] = [{"bearer": []}]


def letter_read(letter: VisaLetter, base_url: str) -> LetterRead:
    return LetterRead(
        id=letter.id,
        status=LetterStatus(letter.status),
        code=letter.code,
        embassy_city=letter.embassy_city,
        passport_number=mask(letter.number_tail),
        requested_at=letter.created_at,
        issued_at=letter.issued_at,
        revoked_at=letter.revoked_at,
        erased=letter.erased_at is not None,
        note=letter.note,
        verify_url=verify_url(base_url, letter.code),
        revoked_because=RevokedBecause(letter.revoked_because) if letter.revoked_because else None,
    )


def pdf_response(content: bytes, code: str) -> Response[bytes]:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="visa-letter-{code}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


async def ask(db_session: AsyncSession, holder: RegistrationHolder, data: LetterRequest, secret_key: str) -> VisaLetter:
    """Check the form (every field at once), then ask for the letter; the caller commits."""
    passport, city = check_request(
        passport_name=data.passport_name,
        nationality=data.nationality,
        passport_number=data.passport_number,
        date_of_birth=data.date_of_birth,
        embassy_city=data.embassy_city,
        today=utcnow().date(),
    )
    return await services.request_letter(
        db_session, holder.registration, passport, city, secret_key=secret_key, actor=holder.actor
    )


async def own_letter(db_session: AsyncSession, registration: Registration) -> VisaLetter:
    letter = await services.letter_of(db_session, registration.id)
    if letter is None:
        raise NotFound(N_("no letter was asked for yet"), field="registration_id")
    return letter


class AttendeeLetterController(Controller):
    """The attendee's own letter, opened only by their registration's secret."""

    path = "/api/registrations/{registration_id:uuid}/letter"
    tags = ["visa letters"]
    dependencies = {"holder": registration_holder_link(SECRET_ONLY)}
    security = [{}]

    @get("/", operation_id="getVisaLetter", responses=problem_responses(404))
    async def read(
        self, holder: NamedDependency[RegistrationHolder], state: State, db_session: NamedDependency[AsyncSession]
    ) -> LetterRead:
        """Its status; the passport number masked (last three characters)."""
        return letter_read(await own_letter(db_session, holder.registration), state.settings.base_url)

    @post(
        "/", operation_id="requestVisaLetter", status_code=HTTP_201_CREATED, responses=problem_responses(404, 409, 422)
    )
    async def request_letter(
        self,
        holder: NamedDependency[RegistrationHolder],
        data: JSONBody[LetterRequest],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> LetterRead:
        """Ask for a letter: issued at once for a confirmed registration unless the event reviews first."""
        letter = await ask(db_session, holder, data, state.settings.secret_key)
        await db_session.commit()
        return letter_read(letter, state.settings.base_url)

    @get("/pdf", operation_id="downloadVisaLetter", media_type="application/pdf", responses=problem_responses(404, 409))
    async def pdf(
        self, holder: NamedDependency[RegistrationHolder], state: State, db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The issued letter as a PDF."""
        letter = await own_letter(db_session, holder.registration)
        settings = state.settings
        content = await letter_pdf(db_session, letter, secret_key=settings.secret_key, base_url=settings.base_url)
        return pdf_response(content, letter.code)


@dataclass
class SignatureUpload:
    signature: UploadFile
    signatory: str = ""
    signatory_title: str = ""


def _actor(request: Request[Any, Any, Any]) -> str:
    user = caller(request)
    return f"organizer:{user.email}" if user is not None else "organizer"


class OrganizerLetterController(Controller):
    path = "/api/events/{event:str}/letters"
    tags = ["visa letters: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listVisaLetters", responses=problem_responses(401, 403, 404, 422))
    async def list_letters(
        self,
        event: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        status: FromQuery[LetterStatus | None] = None,
    ) -> list[LetterListItem]:
        """The event's letters, oldest request first; ``status`` filters (pending, issued, rejected, revoked)."""
        found = await get_event(db_session, event, with_children=False)
        letters = await services.list_letters(db_session, found, status)
        people = {
            r.id: r
            for r in await db_session.scalars(
                select(Registration).where(Registration.id.in_([letter.registration_id for letter in letters]))
            )
        }
        return [
            LetterListItem(
                id=letter.id,
                registration_id=letter.registration_id,
                attendee=f"{people[letter.registration_id].first_name} {people[letter.registration_id].last_name}",
                email=people[letter.registration_id].email,
                status=LetterStatus(letter.status),
                code=letter.code,
                embassy_city=letter.embassy_city,
                requested_at=letter.created_at,
                issued_at=letter.issued_at,
                revoked_at=letter.revoked_at,
                erased_at=letter.erased_at,
            )
            for letter in letters
        ]

    @post(
        "/{letter_id:uuid}/approve",
        operation_id="approveVisaLetter",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def approve(
        self,
        event: FromPath[str],
        letter_id: FromPath[UUID],
        data: JSONBody[LetterDecision],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> LetterRead:
        """Issue a pending letter; the attendee is mailed."""
        found = await get_event(db_session, event, with_children=False)
        letter = await services.decide(
            db_session, found, letter_id, approve=True, note=data.note, actor=_actor(request)
        )
        await db_session.commit()
        return letter_read(letter, state.settings.base_url)

    @post(
        "/{letter_id:uuid}/reject",
        operation_id="rejectVisaLetter",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def reject(
        self,
        event: FromPath[str],
        letter_id: FromPath[UUID],
        data: JSONBody[LetterDecision],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> LetterRead:
        """Refuse a pending letter with a reason (``note``, required); the attendee is mailed it."""
        found = await get_event(db_session, event, with_children=False)
        letter = await services.decide(
            db_session, found, letter_id, approve=False, note=data.note, actor=_actor(request)
        )
        await db_session.commit()
        return letter_read(letter, state.settings.base_url)

    @post(
        "/{letter_id:uuid}/revoke",
        operation_id="revokeVisaLetter",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def revoke(
        self,
        event: FromPath[str],
        letter_id: FromPath[UUID],
        data: JSONBody[LetterDecision],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> LetterRead:
        """An issued letter stops being valid (its public page says revoked); the attendee is mailed once."""
        found = await get_event(db_session, event, with_children=False)
        letter = await services.revoke(db_session, found, letter_id, note=data.note, actor=_actor(request))
        await db_session.commit()
        return letter_read(letter, state.settings.base_url)

    @get(
        "/{letter_id:uuid}/passport", operation_id="readVisaLetterPassport", responses=problem_responses(401, 403, 404)
    )
    async def passport(
        self,
        event: FromPath[str],
        letter_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[PassportRead]:
        """The passport data, for organizers only; each view is recorded in the event's audit trail."""
        found = await get_event(db_session, event, with_children=False)
        data = await services.passport_data(
            db_session, found, letter_id, secret_key=state.settings.secret_key, actor=_actor(request)
        )
        await db_session.commit()
        body = (
            PassportRead(letter_id=letter_id, erased=True)
            if data is None
            else PassportRead(
                letter_id=letter_id,
                erased=False,
                passport_name=data.passport_name,
                nationality=data.nationality,
                passport_number=data.passport_number,
                date_of_birth=data.date_of_birth,
            )
        )
        return Response(body, headers={"Cache-Control": "private, no-store"})

    @put("/settings", operation_id="setVisaLetterSettings", responses=problem_responses(401, 403, 404, 422))
    async def set_settings(
        self, event: FromPath[str], data: JSONBody[LetterSettingsIn], db_session: NamedDependency[AsyncSession]
    ) -> LetterSettingsRead:
        """Issue at once or review first; whether unconfirmed registrations may ask; days kept after the event."""
        found = await get_event(db_session, event, with_children=False)
        rules = await services.set_rules(
            db_session,
            found,
            review_first=data.review_first,
            allow_unconfirmed=data.allow_unconfirmed,
            erase_after_days=data.erase_after_days,
        )
        await db_session.commit()
        return await settings_read(db_session, rules)

    @post(
        "/signature",
        operation_id="uploadVisaLetterSignature",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 413, 422),
        request_max_body_size=LOGO_BODY_LIMIT,
    )
    async def signature(
        self, event: FromPath[str], data: MultipartBody[SignatureUpload], db_session: NamedDependency[AsyncSession]
    ) -> LetterSettingsRead:
        """The signature image on the letters (PNG or JPEG, up to 1 MB and 2000 px a side) and the signatory's name."""
        found = await get_event(db_session, event, with_children=False)
        content = await data.signature.read(MAX_LOGO_BYTES + 1)
        rules = await set_signature(db_session, found, content, data.signatory, data.signatory_title)
        await db_session.commit()
        return await settings_read(db_session, rules)


async def settings_read(db_session: AsyncSession, rules: LetterSettings) -> LetterSettingsRead:
    has_signature = await db_session.scalar(
        select(LetterSettings.signature_png.is_not(None)).where(LetterSettings.event_id == rules.event_id)
    )
    return LetterSettingsRead(
        review_first=rules.review_first,
        allow_unconfirmed=rules.allow_unconfirmed,
        erase_after_days=rules.erase_after_days,
        signatory=rules.signatory,
        has_signature=bool(has_signature),
        signatory_title=rules.signatory_title,
    )
