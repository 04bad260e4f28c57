"""The submitter's pages (phone-first, no JavaScript needed): my abstracts at an event, and one abstract's form
with its authors, saved as a draft, submitted, or withdrawn. Every mistake is shown next to its field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import calls, figures, submissions
from abstracts.call_forms import KIND_LABELS, row_count
from abstracts.call_schemas import QuestionRead
from abstracts.formatting import count_words, render_body
from abstracts.guards import requires_signed_in, signed_in_user
from abstracts.models import DisclosureRelationship, SubmissionKind
from abstracts.schemas import AbstractCreate, AbstractUpdate
from abstracts.submission_forms import (
    DISCLOSURE_ROWS,
    abstract_form,
    abstract_payload,
    row_action,
)
from abstracts.submission_reads import figure_read, warnings_of
from abstracts.submissions import OwnAbstract
from events import services as events
from podium.db import utcnow
from podium.errors import DomainError, InvalidInput
from podium.forms import FormData, read_form
from podium.i18n import N_
from podium.i18n import gettext as _
from podium.pages import form_errors, redirect, render
from registration.links.own import own_registrations

AnyRequest = Request[Any, Any, Any]
RELATIONSHIPS = [
    (DisclosureRelationship.NONE, N_("Nothing to disclose")),
    (DisclosureRelationship.GRANT, N_("Research grant")),
    (DisclosureRelationship.CONSULTANT, N_("Consultant")),
    (DisclosureRelationship.SPEAKER_BUREAU, N_("Speakers' bureau")),
    (DisclosureRelationship.STOCK, N_("Stock or shares")),
    (DisclosureRelationship.EMPLOYEE, N_("Employee")),
    (DisclosureRelationship.OTHER, N_("Other")),
]
STATUS_LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "withdrawn": N_("Withdrawn"),
    "accepted_oral": N_("Accepted as a talk"),
    "accepted_poster": N_("Accepted as a poster"),
    "rejected": N_("Not accepted"),
}


class SubmitterPages(Controller):
    path = "/"
    include_in_schema = False
    guards = [requires_signed_in]

    @get("/events/{slug:str}/abstracts")
    async def my_abstracts(
        self, slug: FromPath[str], request: AnyRequest, db_session: NamedDependency[AsyncSession]
    ) -> Template:
        return await _my_abstracts(request, db_session, slug, {})

    @post("/events/{slug:str}/abstracts")
    async def start_abstract(
        self, slug: FromPath[str], request: AnyRequest, data: FormData, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        user = signed_in_user(request)
        try:
            body = read_form({"submission_type_id": data.get("submission_type_id", "")}, AbstractCreate, strict=False)
            own = await submissions.create_draft(db_session, slug, user, body)
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            status = getattr(exc, "status_code", 422)
            return await _my_abstracts(request, db_session, slug, form_errors(exc), status_code=status)
        return redirect(f"/submissions/{own.abstract.id}")

    @get("/submissions/{submission_id:uuid}")
    async def edit_abstract(
        self, submission_id: FromPath[UUID], request: AnyRequest, db_session: NamedDependency[AsyncSession]
    ) -> Template:
        own = await submissions.get_own(db_session, submission_id, signed_in_user(request))
        return _form(request, own, _values(own), {})

    @post("/submissions/{submission_id:uuid}")
    async def save_abstract(
        self,
        submission_id: FromPath[UUID],
        request: AnyRequest,
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        user = signed_in_user(request)
        own = await submissions.get_own(db_session, submission_id, user)
        change = row_action(data)
        if change is not None:
            return _form(request, own, change.values, {}, blank_rows=change.blank_rows)
        payload, rows = abstract_payload(data, [str(q.id) for q in own.view.questions])
        submit = data.get("action") == "submit"
        saved = False
        try:
            # Read as a whole abstract (every field present), so a wrong author field is named on its row.
            whole = read_form(payload, AbstractCreate, strict=False)
            changes = AbstractUpdate(
                submission_type_id=whole.submission_type_id,
                topic_id=whole.topic_id,
                title=whole.title,
                body=whole.body,
                keywords=whole.keywords,
                answers=whole.answers,
                authors=whole.authors,
                chair=whole.chair,
            )
            await submissions.update_abstract(db_session, submission_id, user, changes)
            await db_session.commit()
            saved = True
            if submit:
                await submissions.submit(db_session, submission_id, user)
                await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            errors = {rows.form_field(name): message for name, message in form_errors(exc).items()}
            own = await submissions.get_own(db_session, submission_id, user)
            status = getattr(exc, "status_code", 422)
            return _form(request, own, data, errors, status_code=status, notice="saved" if saved else None)
        return redirect(f"/submissions/{submission_id}?{'submitted' if submit else 'saved'}=1")

    @post("/submissions/{submission_id:uuid}/talks")
    async def add_talk(
        self, submission_id: FromPath[UUID], request: AnyRequest, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        """A new draft talk of this symposium proposal, of the call's oral type (else the proposal's own)."""
        user = signed_in_user(request)
        own = await submissions.get_own(db_session, submission_id, user)
        oral = next((t for t in own.view.types if t.key == SubmissionKind.ORAL), own.submission_type)
        try:
            body = AbstractCreate(
                submission_type_id=oral.id, topic_id=own.abstract.topic_id, parent_abstract_id=submission_id
            )
            talk = await submissions.create_draft(db_session, own.view.event.slug, user, body)
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            own = await submissions.get_own(db_session, submission_id, user)
            return _form(request, own, _values(own), form_errors(exc), status_code=exc.status_code)
        return redirect(f"/submissions/{talk.abstract.id}")

    @post("/submissions/{submission_id:uuid}/withdraw")
    async def withdraw_abstract(
        self, submission_id: FromPath[UUID], request: AnyRequest, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        user = signed_in_user(request)
        try:
            await submissions.withdraw(db_session, submission_id, user)
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            own = await submissions.get_own(db_session, submission_id, user)
            return _form(request, own, _values(own), form_errors(exc), status_code=exc.status_code)
        return redirect(f"/submissions/{submission_id}?withdrawn=1")

    @post("/submissions/{submission_id:uuid}/figure", request_max_body_size=figures.FIGURE_BODY_LIMIT)
    async def upload_figure(
        self,
        submission_id: FromPath[UUID],
        request: AnyRequest,
        data: MultipartBody[FigureForm],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        user = signed_in_user(request)
        try:
            if data.figure is None or not data.figure.filename:
                raise InvalidInput(_("choose a PNG or JPEG file"), field="figure")
            content = await data.figure.read(figures.MAX_FIGURE_BYTES + 1)
            await figures.set_figure(db_session, submission_id, user, content, data.figure.filename)
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            own = await submissions.get_own(db_session, submission_id, user)
            return _form(request, own, _values(own), form_errors(exc), status_code=exc.status_code)
        return redirect(f"/submissions/{submission_id}?figure=1#figure")

    @post("/submissions/{submission_id:uuid}/figure/delete")
    async def remove_figure(
        self, submission_id: FromPath[UUID], request: AnyRequest, db_session: NamedDependency[AsyncSession]
    ) -> Template | Redirect:
        user = signed_in_user(request)
        try:
            await figures.remove_figure(db_session, submission_id, user)
            await db_session.commit()
        except DomainError as exc:
            await db_session.rollback()
            own = await submissions.get_own(db_session, submission_id, user)
            return _form(request, own, _values(own), form_errors(exc), status_code=exc.status_code)
        return redirect(f"/submissions/{submission_id}#figure")


@dataclass
class FigureForm:
    figure: UploadFile | None = None


async def _my_abstracts(
    request: AnyRequest, db_session: AsyncSession, slug: str, errors: dict[str, str], *, status_code: int = 200
) -> Template:
    event = await events.get_event(db_session, slug, published_only=True, with_children=False)
    view = await calls.load_call(db_session, event)
    user = signed_in_user(request)
    own = (await submissions.list_own(db_session, slug, user))[1] if view else []
    secret_key = request.app.state.settings.secret_key
    registrations = await own_registrations(db_session, secret_key, event.id, user.email)
    now = utcnow()
    return render(
        request,
        "abstracts/my_abstracts.html",
        status_code=status_code,
        event=event,
        view=view,
        types=[calls.type_read(view, t) for t in view.types] if view else [],
        abstracts=[(o, o.editable(now)) for o in own],
        statuses=STATUS_LABELS,
        errors=errors,
        registrations=registrations,
    )


def _values(own: OwnAbstract) -> dict[str, str]:
    abstract = own.abstract
    return {"chair": abstract.chair} | abstract_form(
        submission_type_id=str(abstract.submission_type_id),
        topic_id=str(abstract.topic_id or ""),
        title=abstract.title,
        body=abstract.body,
        keywords=list(abstract.keywords),
        answers={str(k): str(v) for k, v in abstract.answers.items()},
        authors=own.authors,
    )


def _form(
    request: AnyRequest,
    own: OwnAbstract,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    blank_rows: int = 0,
    status_code: int = 200,
    notice: str | None = None,
) -> Template:
    view, now = own.view, utcnow()
    rows = row_count(values, "authors") + blank_rows
    body = values.get("body", "")
    return render(
        request,
        "abstracts/abstract_form.html",
        status_code=status_code,
        own=own,
        event=view.event,
        status=STATUS_LABELS[own.visible_status],
        editable=own.editable(now),
        deadline=calls.local_text(own.editable_until, view.event.timezone),
        types=[(str(t.id), f"{_(KIND_LABELS.get(SubmissionKind(t.key), t.key))}: {t.name}") for t in view.types],
        topics=[(str(t.id), t.name) for t in view.topics],
        questions=[
            QuestionRead(id=q.id, label=q.label, required=q.required, max_chars=q.max_chars) for q in view.questions
        ],
        author_rows=max(rows, 1),
        disclosure_rows=DISCLOSURE_ROWS,
        relationships=[(str(v), _(label)) for v, label in RELATIONSHIPS],
        values=values,
        errors=errors,
        warnings=warnings_of(own),
        figure=figure_read(own),
        talk_errors=[key for key in errors if key.startswith("talks")],
        statuses=STATUS_LABELS,
        preview=render_body(body),
        words=count_words(body),
        limit=own.submission_type.body_word_limit,
        notice=notice
        or next((n for n in ("saved", "submitted", "withdrawn", "figure") if request.query_params.get(n) == "1"), None),
    )
