"""HTTP for badges and check-in: thin handlers over ``badges.services``, ``checkin``, ``bundle`` and friends."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_304_NOT_MODIFIED
from sqlalchemy.ext.asyncio import AsyncSession

from badges import bundle, checkin, checkpoints, printing, services
from badges.certificate_pdf import render_certificate
from badges.certificates import certificate_data
from badges.pdf import Layout, render_badges
from badges.qr import qr_png, qr_svg
from badges.schemas import (
    AttendeeMatch,
    BadgeRead,
    CheckinBatch,
    CheckinResults,
    CheckinSettingsIO,
    CheckpointIn,
    CheckpointRead,
    CheckpointUpdate,
    PrintFilter,
)
from events.services import get_event
from podium.auth.guards import requires_organizer, requires_staff
from podium.auth.schemas import CurrentUser
from podium.errors import Conflict, NotFound, problem_responses
from podium.i18n import N_, gettext
from podium.query_params import RequiredSearch
from podium.settings import Settings
from podium.translated import VARY
from registration.links.access import registration_link
from registration.links.rule import STAFF_AND_ORGANIZERS
from registration.models import Registration
from registration.status_words import status_word

LayoutQuery = Annotated[Layout, QueryParameter(name="layout", description="4x3 (default), a6, letter-6up, a4-4up")]


def _user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def actor_of(request: Request[Any, Any, Any]) -> str:
    user = _user(request)
    return f"{user.role}:{user.email}" if user else "attendee"


def _printable(registration: Registration) -> None:
    if registration.status not in printing.PRINTABLE_STATUSES:
        raise Conflict(
            gettext("a %(status)s registration has no badge") % {"status": status_word(registration.status)},
            field="registration_id",
            code="no_badge",
        )


def _pdf(content: bytes, filename: str) -> Response[bytes]:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


async def _badge_read(db_session: AsyncSession, settings: Settings, registration: Registration) -> BadgeRead:
    _printable(registration)
    read = await services.badge_of(db_session, registration, settings.secret_key)
    await db_session.commit()  # a badge or key made on first sight is kept: its token is in the answer
    return read


class AttendeeBadgeController(Controller):
    """The attendee's own badge (secret link) and certificate; staff and organizers may open any."""

    path = "/api/registrations/{registration_id:uuid}"
    tags = ["badges"]
    dependencies = {"registration": registration_link(STAFF_AND_ORGANIZERS)}

    @get(
        "/badge",
        operation_id="getBadge",
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 409, 422),
    )
    async def badge(
        self,
        registration: NamedDependency[Registration],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> BadgeRead:
        """The badge's serial, version and current token (what its QR code holds)."""
        return await _badge_read(db_session, state.settings, registration)

    @get(
        "/badge.pdf",
        operation_id="getBadgePdf",
        security=[{}, {"bearer": []}],
        media_type="application/pdf",
        responses=problem_responses(404, 409, 422),
    )
    async def badge_pdf(
        self,
        registration: NamedDependency[Registration],
        state: State,
        db_session: NamedDependency[AsyncSession],
        layout: LayoutQuery = "4x3",
    ) -> Response[bytes]:
        """The printable badge (name, affiliation, category ribbon, event, QR) in 4x3 in or A6."""
        _printable(registration)
        cards = await printing.registration_cards(db_session, [registration], state.settings.secret_key)
        await db_session.commit()  # keep a badge made on first sight, and hold no transaction while drawing
        pdf = await anyio.to_thread.run_sync(render_badges, cards, layout)
        return _pdf(pdf, f"badge-{cards[0].serial}.pdf")

    @get(
        "/badge.png",
        operation_id="getBadgeQrPng",
        security=[{}, {"bearer": []}],
        media_type="image/png",
        responses=problem_responses(404, 409, 422),
    )
    async def badge_png(
        self,
        registration: NamedDependency[Registration],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[bytes]:
        """The badge's QR code as PNG (for a phone screen or the confirmation mail)."""
        badge = await _badge_read(db_session, state.settings, registration)
        png = await anyio.to_thread.run_sync(qr_png, badge.token)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})

    @get(
        "/badge.svg",
        operation_id="getBadgeQrSvg",
        security=[{}, {"bearer": []}],
        media_type="image/svg+xml",
        responses=problem_responses(404, 409, 422),
    )
    async def badge_svg(
        self,
        registration: NamedDependency[Registration],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[str]:
        """The badge's QR code as SVG."""
        badge = await _badge_read(db_session, state.settings, registration)
        return Response(qr_svg(badge.token), media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})

    @get(
        "/certificate.pdf",
        operation_id="getCertificatePdf",
        security=[{}, {"bearer": []}],
        media_type="application/pdf",
        responses=problem_responses(404, 409, 422),
    )
    async def certificate(
        self,
        registration: NamedDependency[Registration],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[bytes]:
        """The certificate of attendance: sessions scanned into and the credit hours they earned."""
        _printable(registration)
        # Staff and organizers may look at it during the event; the attendee gets it once the event is over.
        data = await certificate_data(db_session, registration, early=_user(request) is not None)
        pdf = await anyio.to_thread.run_sync(render_certificate, data)
        return _pdf(pdf, "certificate.pdf")


class BadgeStaffController(Controller):
    path = "/api/registrations/{registration_id:uuid}/badge/reprint"
    tags = ["badges"]
    guards = [requires_staff]
    security = [{"bearer": []}]

    @post("/", operation_id="reprintBadge", status_code=HTTP_200_OK, responses=problem_responses(401, 403, 404, 409))
    async def reprint(
        self,
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> BadgeRead:
        """A new printing of the badge: its version goes up and every token of the old one is revoked."""
        registration = await db_session.get(Registration, registration_id)
        if registration is None:
            raise NotFound(N_("no such registration"), field="registration_id")
        _printable(registration)
        read = await services.reissue(db_session, registration_id, state.settings.secret_key, actor=actor_of(request))
        await db_session.commit()
        return read


class CheckinController(Controller):
    path = "/api/checkins"
    tags = ["check-in"]
    guards = [requires_staff]
    security = [{"bearer": []}]

    @post("/", operation_id="recordCheckins", status_code=HTTP_200_OK, responses=problem_responses(401, 403, 409, 422))
    async def record(
        self, data: JSONBody[CheckinBatch], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> CheckinResults:
        """One scan or a device's offline queue; each scan's answer, the first one for scans seen before."""
        await checkin.check_batch(db_session, data)
        results = []
        for index, scan in enumerate(data.scans):
            results.append(await checkin.record_scan(db_session, scan, actor=actor_of(request), index=index))
            # One scan, one transaction (``badges.checkin``). An entrance scan on PostgreSQL ran in autocommit and
            # left none open: committing nothing still cost a session transaction's set-up per scan.
            if db_session.in_transaction():
                await db_session.commit()
        return CheckinResults(results=results)


class EventCheckinController(Controller):
    """Per event: what scanners read (staff) and checkpoints, rules and badge batches (organizers)."""

    path = "/api/events/{event:str}"
    tags = ["check-in"]
    security = [{"bearer": []}]

    @get(
        "/scanner-bundle",
        operation_id="getScannerBundle",
        guards=[requires_staff],
        responses=problem_responses(401, 403, 404),
    )
    async def scanner_bundle(
        self,
        event: FromPath[str],
        state: State,
        db_session: NamedDependency[AsyncSession],
        names: Annotated[bool, QueryParameter(name="names", description="add names for offline lookup")] = False,
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=200)] = None,
        accept_encoding: Annotated[str | None, HeaderParameter(name="Accept-Encoding", max_length=200)] = None,
    ) -> Response[Any]:
        """Public key, checkpoints and rules, badges and revocations; 304 when ``If-None-Match`` is current.

        Gzipped when the client takes it: 10,000 badges with names are ~2 MB of JSON and ~0.4 MB gzipped, what
        a phone downloads on a venue's network (``bench/checkin.py``)."""
        body = await bundle.build_bundle(db_session, event, state.settings.secret_key, names=names)
        await db_session.commit()  # the event's key and badges made for the bundle are kept
        etag = f'"{body.version}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": f"Accept-Encoding, {VARY}"}
        if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        if accept_encoding is not None and "gzip" in accept_encoding.lower():
            packed = await anyio.to_thread.run_sync(bundle.gzipped, body)
            return Response(packed, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"})
        return Response(body, headers=headers)

    @get(
        "/attendees",
        operation_id="lookupAttendees",
        guards=[requires_staff],
        responses=problem_responses(401, 403, 404, 422),
    )
    async def lookup(
        self,
        event: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[RequiredSearch],
    ) -> list[AttendeeMatch]:
        """Find someone whose QR is missing; check them in with the serial it gives."""
        found = await services.lookup(db_session, event, q)
        await db_session.commit()  # badges made for the matches are kept: staff check in by their serial
        return found

    @get(
        "/checkpoints",
        operation_id="listCheckpoints",
        guards=[requires_staff],
        responses=problem_responses(401, 403, 404),
    )
    async def list_checkpoints(
        self, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> list[CheckpointRead]:
        return await checkpoints.list_checkpoints(db_session, event)

    @post(
        "/checkpoints",
        operation_id="createCheckpoint",
        guards=[requires_organizer],
        status_code=HTTP_201_CREATED,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def create_checkpoint(
        self, event: FromPath[str], data: JSONBody[CheckpointIn], db_session: NamedDependency[AsyncSession]
    ) -> CheckpointRead:
        read = await checkpoints.create_checkpoint(db_session, event, data)
        await db_session.commit()
        return read

    @patch(
        "/checkpoints/{checkpoint_id:uuid}",
        operation_id="updateCheckpoint",
        guards=[requires_organizer],
        responses=problem_responses(401, 403, 404, 422),
    )
    async def update_checkpoint(
        self,
        event: FromPath[str],
        checkpoint_id: FromPath[UUID],
        data: JSONBody[CheckpointUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> CheckpointRead:
        """Rename it, change its window, or deactivate it: a deactivated checkpoint refuses ``in`` scans."""
        read = await checkpoints.update_checkpoint(db_session, event, checkpoint_id, data)
        await db_session.commit()
        return read

    @post(
        "/checkpoints/sync",
        operation_id="syncCheckpoints",
        guards=[requires_organizer],
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404),
    )
    async def sync(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[CheckpointRead]:
        """Make the entrance, one door per room and one desk per workshop add-on, where missing."""
        read = await checkpoints.sync_checkpoints(db_session, event)
        await db_session.commit()
        return read

    @get(
        "/checkin-settings",
        operation_id="getCheckinSettings",
        guards=[requires_organizer],
        responses=problem_responses(401, 403, 404),
    )
    async def read_settings(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> CheckinSettingsIO:
        row = await get_event(db_session, event, with_children=False)
        return await services.settings_of(db_session, row.id)

    @put(
        "/checkin-settings",
        operation_id="setCheckinSettings",
        guards=[requires_organizer],
        responses=problem_responses(401, 403, 404, 422),
    )
    async def write_settings(
        self, event: FromPath[str], data: JSONBody[CheckinSettingsIO], db_session: NamedDependency[AsyncSession]
    ) -> CheckinSettingsIO:
        """Doors open N minutes before sessions; credit needs this share of a session's length."""
        read = await services.set_settings(db_session, event, data)
        await db_session.commit()
        return read

    @post(
        "/badges/print",
        operation_id="printBadges",
        guards=[requires_organizer],
        status_code=HTTP_200_OK,
        media_type="application/pdf",
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    async def print_badges(
        self,
        event: FromPath[str],
        data: JSONBody[PrintFilter],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Response[bytes]:
        """One PDF of the badges the filter selects (sorted by surname), which are then marked printed."""
        batch = await printing.prepare_batch(db_session, event, data, state.settings.secret_key)
        await db_session.commit()  # the badges made for it are kept; no transaction stays open while drawing
        pdf = await anyio.to_thread.run_sync(render_badges, batch.cards, data.layout)
        await printing.mark_printed(db_session, batch.event_id, batch.drawn, actor=actor_of(request))
        await db_session.commit()
        response = _pdf(pdf, f"badges-{event}.pdf")
        response.headers["X-Badge-Count"] = str(len(batch.cards))
        return response


BADGE_CONTROLLERS = [
    AttendeeBadgeController,
    BadgeStaffController,
    CheckinController,
    EventCheckinController,
]
