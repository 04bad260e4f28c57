"""Submitting abstracts: drafts, edits, submit and withdraw, each by the abstract's own submitter only.

Another person's abstract answers 404 exactly as a missing one does, so ids can't be probed. Changing,
submitting and withdrawing are allowed inside the window of the abstract's type (the late-breaking window for
late-breaking types) and answer 409 ``deadline_passed`` (or ``call_not_open``) outside it. An edit of a submitted
abstract must leave it submittable: it is checked as a submit is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from msgspec import UNSET
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import calls, coauthor_mail, fees, symposia
from abstracts.calls import CallView
from abstracts.models import (
    DECIDED,
    Abstract,
    AbstractAuthor,
    AbstractFigure,
    AbstractStatus,
    CallForAbstracts,
    Decision,
    Disclosure,
    SubmissionType,
)
from abstracts.schemas import AbstractCreate, AbstractUpdate, AuthorWrite, DisclosureWrite
from abstracts.status_words import status_word
from abstracts.submission_checks import Draft, shape_errors, submit_errors
from events.models import Event
from podium.auth.schemas import CurrentUser
from podium.db import utcnow
from podium.errors import Conflict, FieldError, InvalidInput, NotFound
from podium.i18n import N_, gettext

EDITABLE = (AbstractStatus.DRAFT, AbstractStatus.SUBMITTED)


@dataclass(frozen=True)
class OwnAbstract:
    """An abstract with its authors (as written) and its call, as the submitter's reads and the page need."""

    abstract: Abstract
    authors: list[AuthorWrite]
    view: CallView
    submission_type: SubmissionType
    mailed_outcome: str | None
    figure: AbstractFigure | None = None  # its row without the bytes (``content`` is deferred)
    fee: fees.FeeStanding | None = None  # the call's submission fee, if it has one, as this submitter stands
    talks: list[Abstract] = field(default_factory=list)  # a symposium proposal's, in order (not withdrawn)

    @property
    def visible_status(self) -> AbstractStatus:
        """A decision shows once its mail has told it; until then the abstract reads as submitted."""
        status = AbstractStatus(self.abstract.status)
        if status in DECIDED and self.mailed_outcome != status:
            return AbstractStatus.SUBMITTED
        return status

    @property
    def editable_until(self) -> dt.datetime:
        return calls.window(self.view.call, self.submission_type)[1]

    def editable(self, now: dt.datetime) -> bool:
        opens, closes = calls.window(self.view.call, self.submission_type)
        return self.abstract.status in EDITABLE and opens <= now < closes


def _require_open(view: CallView, kind: SubmissionType, now: dt.datetime) -> None:
    opens, closes = calls.window(view.call, kind)
    local = calls.local_text
    if now < opens:
        raise Conflict(
            gettext("%(kind)s submissions open at %(when)s (%(zone)s)")
            % {"kind": kind.name, "when": local(opens, view.event.timezone), "zone": view.event.timezone},
            field="submission_type_id",
            code="call_not_open",
        )
    if now >= closes:
        raise Conflict(
            gettext("the %(kind)s deadline passed at %(when)s (%(zone)s)")
            % {"kind": kind.name, "when": local(closes, view.event.timezone), "zone": view.event.timezone},
            field="submission_type_id",
            code="deadline_passed",
        )


def _raise(errors: Sequence[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)


def _kind(view: CallView, type_id: UUID) -> SubmissionType:
    kind = view.type_by_id(type_id)
    if kind is None:
        raise InvalidInput(N_("not a submission type of this call"), field="submission_type_id")
    return kind


async def _authors(db_session: AsyncSession, abstract_id: UUID) -> list[AuthorWrite]:
    rows = (
        await db_session.scalars(
            select(AbstractAuthor).where(AbstractAuthor.abstract_id == abstract_id).order_by(AbstractAuthor.position)
        )
    ).all()
    disclosures = (
        await db_session.scalars(
            select(Disclosure)
            .where(Disclosure.author_id.in_([r.id for r in rows]))
            .order_by(Disclosure.created_at, Disclosure.id)
        )
    ).all()
    return [
        AuthorWrite(
            full_name=r.full_name,
            email=r.email or None,
            institution=r.institution,
            country=r.country or None,
            is_presenting=r.is_presenting,
            disclosures=[
                DisclosureWrite(relationship=d.relationship, company=d.company)  # type: ignore[arg-type]  # the form checked the relationship against the enum
                for d in disclosures
                if d.author_id == r.id
            ],
        )
        for r in rows
    ]


async def _write_authors(db_session: AsyncSession, abstract: Abstract, authors: Sequence[AuthorWrite]) -> None:
    """The list replaces the old one whole (its order is the authors' order); disclosures go with their author."""
    await db_session.execute(delete(AbstractAuthor).where(AbstractAuthor.abstract_id == abstract.id))
    for position, author in enumerate(authors):
        row = AbstractAuthor(
            abstract_id=abstract.id,
            position=position,
            full_name=author.full_name.strip(),
            email=(author.email or "").strip(),
            institution=author.institution.strip(),
            country=author.country or "",
            is_presenting=author.is_presenting,
        )
        db_session.add(row)
        await db_session.flush()
        db_session.add_all(
            Disclosure(author_id=row.id, relationship=d.relationship, company=d.company.strip())
            for d in author.disclosures
        )
    await db_session.flush()


async def _own(db_session: AsyncSession, abstract_id: UUID, user: CurrentUser, *, lock: bool = False) -> OwnAbstract:
    """The user's abstract (404 for anyone else's). ``lock``: a write holds the row (PostgreSQL), so two submits
    of one abstract at once take one number, not two."""
    query = select(Abstract).where(Abstract.id == abstract_id, Abstract.submitter_user_id == user.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    abstract = await db_session.scalar(query)
    if abstract is None:
        raise NotFound(N_("no such abstract of yours"), field="abstract_id")
    call = await db_session.get_one(CallForAbstracts, abstract.call_id)
    event = await db_session.get_one(Event, call.event_id)
    view = await calls.load_call(db_session, event)
    assert view is not None
    kind = view.type_by_id(abstract.submission_type_id)
    assert kind is not None
    mailed = await db_session.scalar(select(Decision.mailed_outcome).where(Decision.abstract_id == abstract.id))
    figure = await db_session.scalar(select(AbstractFigure).where(AbstractFigure.abstract_id == abstract.id))
    fee = await fees.fee_standing(db_session, view, user.email)
    talks = await symposia.talks_of(db_session, abstract.id) if kind.is_symposium else []
    authors = await _authors(db_session, abstract.id)
    return OwnAbstract(abstract, authors, view, kind, mailed, figure, fee, talks)


async def get_own(db_session: AsyncSession, abstract_id: UUID, user: CurrentUser, *, lock: bool = False) -> OwnAbstract:
    return await _own(db_session, abstract_id, user, lock=lock)


async def list_own(db_session: AsyncSession, slug: str, user: CurrentUser) -> tuple[CallView, list[OwnAbstract]]:
    view = await calls.get_call(db_session, slug, published_only=True)
    ids = (
        await db_session.scalars(
            select(Abstract.id)
            .where(Abstract.call_id == view.call.id, Abstract.submitter_user_id == user.id)
            .order_by(Abstract.created_at, Abstract.id)
        )
    ).all()
    return view, [await _own(db_session, abstract_id, user) for abstract_id in ids]


async def _parent_errors(
    db_session: AsyncSession, view: CallView, parent_id: UUID | None, user: CurrentUser
) -> list[FieldError]:
    if parent_id is None:
        return []
    parent = await db_session.scalar(
        select(Abstract).where(
            Abstract.id == parent_id, Abstract.submitter_user_id == user.id, Abstract.call_id == view.call.id
        )
    )
    kind = view.type_by_id(parent.submission_type_id) if parent else None
    if kind is None or not kind.is_symposium:
        return [FieldError("parent_abstract_id", N_("not a symposium proposal of yours in this call"))]
    return []


async def create_draft(db_session: AsyncSession, slug: str, user: CurrentUser, data: AbstractCreate) -> OwnAbstract:
    view = await calls.get_call(db_session, slug, published_only=True)
    kind = _kind(view, data.submission_type_id)
    _require_open(view, kind, utcnow())
    draft = Draft(kind, data.topic_id, data.title, data.body, data.keywords, data.answers, data.authors)
    _raise(shape_errors(view, draft) + await _parent_errors(db_session, view, data.parent_abstract_id, user))
    abstract = Abstract(
        call_id=view.call.id,
        submitter_user_id=user.id,
        submission_type_id=kind.id,
        topic_id=data.topic_id,
        title=data.title.strip(),
        body=data.body,
        keywords=[k.strip() for k in data.keywords],
        answers=dict(data.answers),
        parent_abstract_id=data.parent_abstract_id,
        chair=data.chair.strip(),
        status=AbstractStatus.DRAFT.value,
    )
    db_session.add(abstract)
    await db_session.flush()
    await _write_authors(db_session, abstract, data.authors)
    return await _own(db_session, abstract.id, user)


def require_editable(own: OwnAbstract, now: dt.datetime) -> None:
    if own.abstract.status not in EDITABLE:
        raise Conflict(
            gettext("a %(status)s abstract can't be changed") % {"status": status_word(own.visible_status)},
            field="status",
            code="not_editable",
        )
    _require_open(own.view, own.submission_type, now)


async def update_abstract(
    db_session: AsyncSession, abstract_id: UUID, user: CurrentUser, data: AbstractUpdate
) -> OwnAbstract:
    own = await _own(db_session, abstract_id, user, lock=True)
    now = utcnow()
    require_editable(own, now)
    abstract, view = own.abstract, own.view
    kind = own.submission_type if data.submission_type_id is UNSET else _kind(view, data.submission_type_id)
    if kind.id != own.submission_type.id:
        _require_open(view, kind, now)
    draft = Draft(
        kind,
        abstract.topic_id if data.topic_id is UNSET else data.topic_id,
        abstract.title if data.title is UNSET else data.title,
        abstract.body if data.body is UNSET else data.body,
        abstract.keywords if data.keywords is UNSET else data.keywords,
        abstract.answers if data.answers is UNSET else data.answers,
        own.authors if data.authors is UNSET else data.authors,
    )
    submitted = abstract.status == AbstractStatus.SUBMITTED
    errors = submit_errors(view, draft) if submitted else shape_errors(view, draft)
    if submitted and kind.is_symposium:  # a submitted proposal keeps every rule it was submitted under
        chair = abstract.chair if data.chair is UNSET else data.chair
        talks = await symposia.talks_of(db_session, abstract.id)
        errors += symposia.proposal_errors(view, kind, chair, [(t, await _authors(db_session, t.id)) for t in talks])
    _raise(errors)
    abstract.submission_type_id = kind.id
    abstract.topic_id = draft.topic_id
    abstract.title = draft.title.strip()
    abstract.body = draft.body
    abstract.keywords = [k.strip() for k in draft.keywords]
    abstract.answers = dict(draft.answers)
    if data.chair is not UNSET:
        abstract.chair = data.chair.strip()
    await db_session.flush()
    if data.authors is not UNSET:
        await _write_authors(db_session, abstract, data.authors)
    updated = await _own(db_session, abstract.id, user)
    if submitted:
        await _tell(db_session, updated, user)
    return updated


async def _tell(db_session: AsyncSession, own: OwnAbstract, user: CurrentUser) -> None:
    authors = (
        await db_session.scalars(
            select(AbstractAuthor)
            .where(AbstractAuthor.abstract_id == own.abstract.id)
            .order_by(AbstractAuthor.position)
        )
    ).all()
    await coauthor_mail.tell_coauthors(db_session, own.view.event, own.abstract, authors, user)


async def _next_number(db_session: AsyncSession, call_id: UUID) -> int:
    """The call's next abstract number, taken with one conditional UPDATE (submits racing get distinct ones)."""
    number = await db_session.scalar(
        update(CallForAbstracts)
        .where(CallForAbstracts.id == call_id)
        .values(numbers_given=CallForAbstracts.numbers_given + 1)
        .returning(CallForAbstracts.numbers_given)
        .execution_options(synchronize_session=False)
    )
    assert number is not None
    return int(number)


async def submit(db_session: AsyncSession, abstract_id: UUID, user: CurrentUser) -> OwnAbstract:
    """Check everything at once and submit; submitting a submitted abstract again changes nothing. Its number is
    given on the first submit; co-authors are told once each."""
    own = await _own(db_session, abstract_id, user, lock=True)
    require_editable(own, utcnow())
    abstract = own.abstract
    draft = Draft(
        own.submission_type,
        abstract.topic_id,
        abstract.title,
        abstract.body,
        abstract.keywords,
        abstract.answers,
        own.authors,
    )
    if abstract.parent_abstract_id is not None:
        raise Conflict(
            N_("a symposium talk is submitted with its proposal: submit the proposal"),
            field="parent_abstract_id",
            code="submitted_with_proposal",
        )
    errors = submit_errors(own.view, draft)
    talks = await symposia.talks_of(db_session, abstract.id, lock=True) if own.submission_type.is_symposium else []
    if own.submission_type.is_symposium:
        written = [(talk, await _authors(db_session, talk.id)) for talk in talks]
        errors += symposia.proposal_errors(own.view, own.submission_type, abstract.chair, written)
    _raise(errors)
    if abstract.status == AbstractStatus.DRAFT:
        await fees.require_fee(db_session, own.view, user.email)  # a first submit only (``abstracts.fees``)
    for row in (abstract, *talks):  # a proposal and its talks together
        if row.status == AbstractStatus.DRAFT:
            if row.number is None:
                row.number = await _next_number(db_session, row.call_id)
            row.status = AbstractStatus.SUBMITTED.value
            row.submitted_at = utcnow()
    await db_session.flush()
    submitted = await _own(db_session, abstract.id, user)
    await _tell(db_session, submitted, user)
    for talk in talks:
        await _tell(db_session, await _own(db_session, talk.id, user), user)
    return submitted


async def withdraw(db_session: AsyncSession, abstract_id: UUID, user: CurrentUser) -> OwnAbstract:
    own = await _own(db_session, abstract_id, user, lock=True)
    require_editable(own, utcnow())
    if own.abstract.parent_abstract_id is not None and own.abstract.status == AbstractStatus.SUBMITTED:
        raise Conflict(
            N_("a submitted symposium talk is withdrawn with its proposal: withdraw the proposal"),
            field="parent_abstract_id",
            code="withdrawn_with_proposal",
        )
    talks = await symposia.talks_of(db_session, abstract_id, lock=True)
    for row in (own.abstract, *talks):  # a proposal's talks go with it
        row.status = AbstractStatus.WITHDRAWN.value
        row.withdrawn_at = utcnow()
    await db_session.flush()
    return await _own(db_session, abstract_id, user)
