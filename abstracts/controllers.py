"""HTTP for submitters: their own abstracts only (anyone else's answer 404). Thin: one service call each."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import figures, submissions
from abstracts.guards import requires_signed_in, signed_in_user
from abstracts.schemas import AbstractCreate, AbstractRead, AbstractSummary, AbstractUpdate
from abstracts.submission_reads import to_read, to_summary
from podium.db import utcnow
from podium.errors import problem_responses

BEARER: list[SecurityRequirement] = [{"bearer": []}]
WRITE_ERRORS = (401, 404, 409, 422)
AnyRequest = Request[Any, Any, Any]


class FigureUpload(Struct):
    figure: UploadFile


def figure_response(found: tuple[bytes, str]) -> Response[bytes]:
    """The figure as we re-encoded it; private (only its submitter, reviewers or, after the embargo, anyone)."""
    content, content_type = found
    extension = "png" if content_type == "image/png" else "jpg"
    return Response(
        content,
        media_type=content_type,
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": f'inline; filename="figure.{extension}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


class EventAbstractController(Controller):
    """Starting an abstract for an event's call, and the list of one's own there."""

    path = "/api/events/{event:str}/abstracts"
    tags = ["abstracts"]
    guards = [requires_signed_in]
    security = BEARER

    @get("/", operation_id="listMyAbstracts", responses=problem_responses(401, 404))
    async def list_mine(
        self, request: AnyRequest, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> list[AbstractSummary]:
        _view, own = await submissions.list_own(db_session, event, signed_in_user(request))
        now = utcnow()
        return [to_summary(o, now) for o in own]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        operation_id="createAbstractDraft",
        responses=problem_responses(*WRITE_ERRORS),
    )
    async def create_draft(
        self,
        request: AnyRequest,
        event: FromPath[str],
        data: JSONBody[AbstractCreate],
        db_session: NamedDependency[AsyncSession],
    ) -> AbstractRead:
        """A draft, saved as it is; only its type must be right (submit checks the rest)."""
        own = await submissions.create_draft(db_session, event, signed_in_user(request), data)
        read = to_read(own, utcnow())
        await db_session.commit()
        return read


class AbstractController(Controller):
    path = "/api/abstracts/{abstract_id:uuid}"
    tags = ["abstracts"]
    guards = [requires_signed_in]
    security = BEARER

    @get("/", operation_id="getMyAbstract", responses=problem_responses(401, 404))
    async def get_abstract(
        self, request: AnyRequest, abstract_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> AbstractRead:
        return to_read(await submissions.get_own(db_session, abstract_id, signed_in_user(request)), utcnow())

    @patch("/", operation_id="updateMyAbstract", responses=problem_responses(*WRITE_ERRORS))
    async def update_abstract(
        self,
        request: AnyRequest,
        abstract_id: FromPath[UUID],
        data: JSONBody[AbstractUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> AbstractRead:
        """Until the deadline of its type; a submitted abstract must stay submittable."""
        own = await submissions.update_abstract(db_session, abstract_id, signed_in_user(request), data)
        read = to_read(own, utcnow())
        await db_session.commit()
        return read

    @post(
        "/submit",
        status_code=HTTP_200_OK,
        operation_id="submitMyAbstract",
        responses=problem_responses(*WRITE_ERRORS, 402),
    )
    async def submit(
        self, request: AnyRequest, abstract_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> AbstractRead:
        """Every rule checked at once (422 lists each field); ``warnings`` carries the blind check. When the call
        has a submission fee, a first submit needs it paid: 402 ``submission_fee_unpaid`` otherwise, with the
        catalog link (category chosen) in ``detail``, in ``submission_fee.pay_url`` and in a ``Link`` header."""
        own = await submissions.submit(db_session, abstract_id, signed_in_user(request))
        read = to_read(own, utcnow())
        await db_session.commit()
        return read

    @post(
        "/withdraw",
        status_code=HTTP_200_OK,
        operation_id="withdrawMyAbstract",
        responses=problem_responses(*WRITE_ERRORS),
    )
    async def withdraw(
        self, request: AnyRequest, abstract_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> AbstractRead:
        own = await submissions.withdraw(db_session, abstract_id, signed_in_user(request))
        read = to_read(own, utcnow())
        await db_session.commit()
        return read

    @put(
        "/figure",
        operation_id="putMyAbstractFigure",
        responses=problem_responses(*WRITE_ERRORS, 413),
        request_max_body_size=figures.FIGURE_BODY_LIMIT,
    )
    async def put_figure(
        self,
        request: AnyRequest,
        abstract_id: FromPath[UUID],
        data: MultipartBody[FigureUpload],
        db_session: NamedDependency[AsyncSession],
    ) -> AbstractRead:
        """The abstract's one figure (form field `figure`): a PNG or JPEG up to 5 MB and 4000 x 4000 pixels,
        recognised by its content and stored re-encoded without metadata; replaces the one before. Until the
        deadline, like any edit."""
        content = await data.figure.read(figures.MAX_FIGURE_BYTES + 1)
        user = signed_in_user(request)
        await figures.set_figure(db_session, abstract_id, user, content, data.figure.filename or "")
        read = to_read(await submissions.get_own(db_session, abstract_id, user), utcnow())
        await db_session.commit()
        return read

    @delete(
        "/figure",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteMyAbstractFigure",
        responses=problem_responses(*WRITE_ERRORS),
    )
    async def delete_figure(
        self, request: AnyRequest, abstract_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await figures.remove_figure(db_session, abstract_id, signed_in_user(request))
        await db_session.commit()

    @get(
        "/figure",
        operation_id="getMyAbstractFigure",
        responses=problem_responses(401, 404),
        media_type="image/png",
    )
    async def get_figure(
        self, request: AnyRequest, abstract_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The figure as stored (PNG or JPEG)."""
        return figure_response(await figures.own_figure(db_session, abstract_id, signed_in_user(request)))
