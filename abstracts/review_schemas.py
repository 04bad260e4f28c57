"""The review's wire types: what organizers send and read, and what reviewers send and read.

A reviewer's view of an abstract (``BlindAbstractRead``) has no field for authors, their emails, institutions or
disclosures: blindness is a property of the type, not of a filter someone must remember to apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from podium.auth.schemas import Email

Institution = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Comment = Annotated[str, msgspec.Meta(max_length=20_000)]
Reason = Annotated[str, msgspec.Meta(max_length=300)]


class Struct(msgspec.Struct, forbid_unknown_fields=True):
    pass


# ------------------------------------------------------------------------------------------ organizers


class ReviewerInvite(Struct):
    """Invite a person (by email) to review this event's abstracts; an account is found or made for them (a
    member's, signing in by mailed link or code). ``locale``: the language of the invitation (the organizer's
    choice; events have no language of their own, so English when not given). ``display_name`` names a new
    account only."""

    email: Email
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    locale: Literal["en", "es", "fr", "pt_BR", "zh_Hans"] = "en"


class ReviewerRead(Struct):
    id: UUID
    user_id: UUID
    email: str
    display_name: str
    topic_ids: list[UUID]
    institutions: list[str]
    invited_at: dt.datetime
    accepted_at: dt.datetime | None


class ShortfallRead(Struct):
    abstract_id: UUID
    number: int | None
    wanted: int
    assigned: int


class AutoAssignResult(Struct):
    """What one run added; a second run adds only what is still missing."""

    added: int
    outside_topic: int
    shortfalls: list[ShortfallRead]


class AssignmentCreate(Struct):
    """Assign by hand; a conflict of interest answers 409 naming the rule unless ``override``."""

    abstract_id: UUID
    reviewer_id: UUID
    override: bool = False


class AssignmentRead(Struct):
    id: UUID
    abstract_id: UUID
    reviewer_id: UUID
    assigned_at: dt.datetime
    assigned_by: str


class ReviewerProgress(Struct):
    reviewer_id: UUID
    email: str
    display_name: str
    assigned: int
    submitted: int


class TopicProgress(Struct):
    topic_id: UUID | None
    topic: str
    abstracts: int
    assigned: int
    submitted: int


class ProgressRead(Struct):
    reviewers: list[ReviewerProgress]
    topics: list[TopicProgress]


class RankedAbstractRead(Struct):
    position: int
    abstract_id: UUID
    number: int | None
    title: str
    reviews: int
    raw_mean: float | None
    normalized_mean: float | None


class RankedGroupRead(Struct):
    """One topic and submission type, best first (ties broken by raw mean, review count, number)."""

    topic_id: UUID | None
    topic: str
    submission_type_id: UUID | None
    submission_type: str
    abstracts: list[RankedAbstractRead]


# ------------------------------------------------------------------------------------------ reviewers


class ConflictDeclaration(Struct):
    """One declared conflict: an abstract, every abstract with an author from an institution, or with an author
    of an email address (exactly one of the three)."""

    abstract_id: UUID | None = None
    institution: Institution | None = None
    author_email: Email | None = None
    reason: Reason = ""


class ReviewerProfileUpdate(Struct):
    topic_ids: list[UUID] = msgspec.field(default_factory=list)
    institutions: Annotated[list[Institution], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)
    conflicts: Annotated[list[ConflictDeclaration], msgspec.Meta(max_length=200)] = msgspec.field(default_factory=list)


class ReviewerProfileRead(Struct):
    reviewer_id: UUID
    topic_ids: list[UUID]
    institutions: list[str]
    conflicts: list[ConflictDeclaration]


class MyAssignmentRead(Struct):
    assignment_id: UUID
    abstract_id: UUID
    number: int | None
    title: str
    topic: str
    submission_type: str
    review: str
    """``open`` (nothing saved), ``draft`` (saved, not submitted) or ``submitted``."""


class CriterionRead(Struct):
    id: UUID
    name: str
    weight: int
    min_score: int
    max_score: int


class MyReviewRead(Struct):
    scores: dict[str, int]
    """Criterion id to score."""
    comments_to_authors: str
    comments_to_committee: str
    submitted_at: dt.datetime | None


class BlindTalkRead(Struct):
    """One talk of a symposium proposal as its reviewers see it: its text, never its authors."""

    title: str
    body: str
    body_html: str
    keywords: list[str]


class BlindAbstractRead(Struct):
    """An assigned abstract as its reviewer sees it: no authors, emails, institutions or disclosures."""

    abstract_id: UUID
    number: int | None
    title: str
    body: str
    body_html: str
    """The body with its formatting subset rendered (``abstracts.formatting``), escaped."""
    keywords: list[str]
    topic: str
    submission_type: str
    criteria: list[CriterionRead]
    my_review: MyReviewRead | None
    figure_url: str | None = None
    """The abstract's figure (the image only: no file name), if it has one."""
    talks: list[BlindTalkRead] = msgspec.field(default_factory=list)
    """A symposium proposal's talks, in their order: what the reviewer judges with the rationale."""


class ReviewWrite(Struct):
    """Save (``submit: false``) or submit a review: a score per criterion, within its range, and two comments."""

    scores: dict[str, int]
    comments_to_authors: Comment = ""
    comments_to_committee: Comment = ""
    submit: bool = True
