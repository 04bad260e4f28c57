"""Wire types of submissions: an abstract as its submitter writes and reads it.

Shapes are checked here (lengths a database column can hold, addresses, country codes); the call's own limits
(the type's word limit and title length, required questions, one presenting author, disclosures) are checked
by ``abstracts.submission_checks`` when the abstract is submitted, all at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from abstracts.models import AbstractStatus, DisclosureRelationship
from podium.auth.schemas import EMAIL_CHARACTER
from podium.schema import Struct, line, paragraph

Email = Annotated[
    str, msgspec.Meta(max_length=320, pattern=f"^{EMAIL_CHARACTER}+@{EMAIL_CHARACTER}+\\.{EMAIL_CHARACTER}+$")
]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code", examples=["DE"])]
Title = Annotated[str, line(1_000, min_length=0)]
Body = Annotated[str, paragraph(60_000)]
Chair = Annotated[str, line(200, min_length=0)]
Keyword = Annotated[str, line(60)]
Keywords = Annotated[list[Keyword], msgspec.Meta(max_length=12)]
Answer = Annotated[str, paragraph(10_000)]
Answers = Annotated[dict[str, Answer], msgspec.Meta(max_length=50)]


class DisclosureWrite(Struct):
    relationship: DisclosureRelationship
    company: Annotated[str, line(200, min_length=0)] = ""


class AuthorWrite(Struct):
    full_name: Annotated[str, line(200)]
    email: Email | None = None
    institution: Annotated[str, line(300, min_length=0)] = ""
    country: Country | None = None
    is_presenting: bool = False
    disclosures: Annotated[list[DisclosureWrite], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)


Authors = Annotated[list[AuthorWrite], msgspec.Meta(max_length=50)]


class AbstractCreate(Struct):
    """A new draft: nothing but its type is required yet (submitting checks the rest)."""

    submission_type_id: UUID
    topic_id: UUID | None = None
    title: Title = ""
    body: Body = ""
    keywords: Keywords = msgspec.field(default_factory=list)
    answers: Answers = msgspec.field(default_factory=dict)
    authors: Authors = msgspec.field(default_factory=list)
    # A talk of a symposium proposal names the proposal (the submitter's own).
    parent_abstract_id: UUID | None = None
    # A symposium proposal's chair (its title is the symposium's, its body the rationale).
    chair: Chair = ""


class AbstractUpdate(Struct):
    """PATCH: only the fields sent change; ``authors`` sent replaces the list (its order is the authors')."""

    submission_type_id: UUID | UnsetType = UNSET
    topic_id: UUID | UnsetType | None = UNSET
    title: Title | UnsetType = UNSET
    body: Body | UnsetType = UNSET
    keywords: Keywords | UnsetType = UNSET
    answers: Answers | UnsetType = UNSET
    authors: Authors | UnsetType = UNSET
    chair: Chair | UnsetType = UNSET


class DisclosureRead(Struct):
    relationship: DisclosureRelationship
    company: str


class AuthorRead(Struct):
    position: int
    full_name: str
    email: str | None
    institution: str
    country: str | None
    is_presenting: bool
    disclosures: list[DisclosureRead]


class SubmissionWarning(Struct):
    """Not an error: something the submitter should look at (``author_named``: the blind check)."""

    code: str
    field: str
    message: str


class FigureRead(Struct):
    """The abstract's figure as stored (re-encoded, without metadata); ``url`` serves it to the submitter."""

    url: str
    filename: str
    content_type: str
    size: int


class SubmissionFeeRead(Struct):
    """The call's submission fee: a registration in ``category``, bought in the catalog (``pay_url``)."""

    category: str
    paid: bool
    pay_url: str


class AbstractRead(Struct):
    """The submitter's own abstract. ``status`` shows a decision only once its mail has gone out."""

    id: UUID
    event: str
    number: int | None
    status: AbstractStatus
    submission_type_id: UUID
    topic_id: UUID | None
    parent_abstract_id: UUID | None
    title: str
    body: str
    body_html: str
    word_count: int
    keywords: list[str]
    answers: dict[str, str]
    authors: list[AuthorRead]
    submitted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    # Until then it may be changed or withdrawn.
    editable_until: dt.datetime
    editable: bool
    warnings: list[SubmissionWarning]
    figure: FigureRead | None = None
    submission_fee: SubmissionFeeRead | None = None
    chair: str = ""
    # A symposium proposal's talks, in order (abstracts of their own naming it as ``parent_abstract_id``).
    talk_ids: list[UUID] = msgspec.field(default_factory=list)


class AbstractSummary(Struct):
    id: UUID
    number: int | None
    status: AbstractStatus
    title: str
    submission_type_id: UUID
    submitted_at: dt.datetime | None
    editable_until: dt.datetime
    editable: bool
