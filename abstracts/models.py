"""Abstracts: an event's call, the abstracts submitted to it with their authors and disclosures, and the
tables of their review (reviewers, conflicts, rubric, assignments, reviews and their scores) and decisions.

Where an abstract stands is one column, ``Abstract.status`` (draft → submitted → withdrawn, or decided:
accepted_oral / accepted_poster / rejected): every reader filters on it (the submitter's page, scheduling,
the public list after the embargo). ``Decision`` is the record of deciding, not a second status: who decided
when, and which outcome its mail told (``mailed_outcome``), so a repeated or retried mail run sends each
decision once and a changed decision once more.

Times are stored in UTC; the organizer gives them in the event's time zone (``abstracts.calls``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base, metadata
from podium.enums import in_sql


class SubmissionKind(enum.StrEnum):
    ORAL = "oral"
    POSTER = "poster"
    LATE_BREAKING = "late_breaking"
    SYMPOSIUM = "symposium"


class AbstractStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    ACCEPTED_ORAL = "accepted_oral"
    ACCEPTED_POSTER = "accepted_poster"
    REJECTED = "rejected"


# The statuses a decision sets (``Decision.mailed_outcome`` names one of them).
DECIDED = (AbstractStatus.ACCEPTED_ORAL, AbstractStatus.ACCEPTED_POSTER, AbstractStatus.REJECTED)


class DisclosureRelationship(enum.StrEnum):
    NONE = "none"  # nothing to disclose
    GRANT = "grant"
    CONSULTANT = "consultant"
    SPEAKER_BUREAU = "speaker_bureau"
    STOCK = "stock"
    EMPLOYEE = "employee"
    OTHER = "other"


class AssignedBy(enum.StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class CallForAbstracts(Base):
    """An event's one call: when it is open (and the late-breaking window), how abstracts are reviewed, and
    the optional fee, paid as a registration category through the existing order flow."""

    __tablename__ = "call_for_abstracts"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint(
            "(late_breaking_opens_at is null and late_breaking_closes_at is null) or "
            "(late_breaking_opens_at is not null and late_breaking_closes_at is not null "
            "and late_breaking_closes_at > late_breaking_opens_at)",
            name="late_window",
        ),
        CheckConstraint("embargo_until >= closes_at", name="embargo"),
        CheckConstraint("reviews_per_abstract between 1 and 20", name="reviews_per_abstract"),
        CheckConstraint("numbers_given >= 0", name="numbers_given"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    opens_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    closes_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    late_breaking_opens_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    late_breaking_closes_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # Accepted abstracts stay private until then (public pages, feeds, the abstract book).
    embargo_until: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    reviews_per_abstract: Mapped[int] = mapped_column(Integer, default=3)
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    disclosure_required: Mapped[bool] = mapped_column(Boolean, default=False)
    submission_fee_category_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("reg_category.id", ondelete="SET NULL"), nullable=True
    )
    # Where a confirmed presenter registers: this category preselected (with its access code, if it has one).
    presenter_category_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("reg_category.id", ondelete="SET NULL"), nullable=True
    )
    # The organizer's own paragraph in each decision mail (the templates carry the rest).
    accept_oral_wording: Mapped[str] = mapped_column(Text, default="")
    accept_poster_wording: Mapped[str] = mapped_column(Text, default="")
    reject_wording: Mapped[str] = mapped_column(Text, default="")
    # How many abstract numbers were handed out: submit takes the next with one conditional UPDATE.
    numbers_given: Mapped[int] = mapped_column(Integer, default=0)


class SubmissionType(Base):
    """Oral, poster, late-breaking or symposium: its limits and which window it uses."""

    __tablename__ = "submission_type"
    __table_args__ = (
        UniqueConstraint("call_id", "key", name="uq_submission_type_call_key"),
        CheckConstraint(in_sql("key", SubmissionKind), name="key"),
        CheckConstraint("body_word_limit between 1 and 10000", name="body_word_limit"),
        CheckConstraint("title_max_chars between 10 and 1000", name="title_max_chars"),
    )

    call_id: Mapped[UUID] = mapped_column(ForeignKey("call_for_abstracts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    body_word_limit: Mapped[int] = mapped_column(Integer, default=300)
    title_max_chars: Mapped[int] = mapped_column(Integer, default=200)
    # Submitted and edited in the late-breaking window instead of the main one.
    is_late_breaking: Mapped[bool] = mapped_column(Boolean, default=False)
    # A symposium proposal: its talks are abstracts of their own with ``parent_abstract_id`` set.
    is_symposium: Mapped[bool] = mapped_column(Boolean, default=False)
    # How many talks a symposium proposal of this type has when submitted.
    min_talks: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    max_talks: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Topic(Base):
    __tablename__ = "abstract_topic"
    __table_args__ = (UniqueConstraint("call_id", "name", name="uq_abstract_topic_call_name"),)

    call_id: Mapped[UUID] = mapped_column(ForeignKey("call_for_abstracts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class CustomQuestion(Base):
    """A question of the call; answers live on the abstract (``Abstract.answers``, keyed by question id)."""

    __tablename__ = "abstract_question"
    __table_args__ = (CheckConstraint("max_chars between 1 and 10000", name="max_chars"),)

    call_id: Mapped[UUID] = mapped_column(ForeignKey("call_for_abstracts.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    max_chars: Mapped[int] = mapped_column(Integer, default=500)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Abstract(Base):
    """One submission. ``number`` is given on first submit, sequential per call; the scheduling fields
    (``session_id``, talk order and minutes, poster board) are set once it is accepted."""

    __tablename__ = "abstract"
    __table_args__ = (
        CheckConstraint(in_sql("status", AbstractStatus), name="status"),
        CheckConstraint("number is null or number > 0", name="number"),
        CheckConstraint("talk_minutes is null or talk_minutes > 0", name="talk_minutes"),
        CheckConstraint("talk_position is null or talk_position >= 0", name="talk_position"),
        UniqueConstraint("call_id", "number", name="uq_abstract_call_number"),
        Index("ix_abstract_call_status", "call_id", "status"),
    )

    call_id: Mapped[UUID] = mapped_column(ForeignKey("call_for_abstracts.id", ondelete="CASCADE"))
    submitter_user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    submission_type_id: Mapped[UUID] = mapped_column(ForeignKey("submission_type.id", ondelete="RESTRICT"), index=True)
    topic_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("abstract_topic.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(1000), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JsonB, default=list)
    # Answers to the call's custom questions: question id (text) → answer.
    answers: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=AbstractStatus.DRAFT.value)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    presenting_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # A symposium proposal's chair (its title is the symposium's, its body the rationale).
    chair: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A talk of a symposium proposal names the proposal.
    parent_abstract_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("abstract.id", ondelete="CASCADE"), nullable=True, index=True
    )
    session_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("program_session.id", ondelete="SET NULL"), nullable=True, index=True
    )
    talk_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    talk_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    poster_board: Mapped[str | None] = mapped_column(String(20), nullable=True)


class AbstractFigure(Base):
    """An abstract's optional figure, kept in the database like registration's verification documents so every
    worker can serve it; its own table so listing abstracts never reads the bytes."""

    __tablename__ = "abstract_figure"
    __table_args__ = (
        CheckConstraint("size > 0", name="size"),
        CheckConstraint("content_type in ('image/png', 'image/jpeg')", name="content_type"),
    )

    abstract_id: Mapped[UUID] = mapped_column(ForeignKey("abstract.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class AbstractAuthor(Base):
    """An author in the abstract's order. At most one presents (a partial unique index); submit requires one."""

    __tablename__ = "abstract_author"
    __table_args__ = (
        UniqueConstraint("abstract_id", "position", name="uq_abstract_author_position"),
        CheckConstraint("position >= 0", name="position"),
        Index(
            "uq_abstract_author_presenting",
            "abstract_id",
            unique=True,
            postgresql_where=text("is_presenting"),
            sqlite_where=text("is_presenting"),
        ),
    )

    abstract_id: Mapped[UUID] = mapped_column(ForeignKey("abstract.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    institution: Mapped[str] = mapped_column(String(300), default="")
    # ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2), default="")
    is_presenting: Mapped[bool] = mapped_column(Boolean, default=False)
    # The program's speaker this author became when the abstract was scheduled (one person, not a copy).
    speaker_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("speaker.id", ondelete="SET NULL"), nullable=True, index=True
    )


class Disclosure(Base):
    """One financial relationship of one author; ``relationship = none`` says the author has nothing to
    disclose (and then is the author's only row)."""

    __tablename__ = "abstract_disclosure"
    __table_args__ = (CheckConstraint(in_sql("relationship", DisclosureRelationship), name="relationship"),)

    author_id: Mapped[UUID] = mapped_column(ForeignKey("abstract_author.id", ondelete="CASCADE"), index=True)
    company: Mapped[str] = mapped_column(String(200), default="")
    relationship: Mapped[str] = mapped_column(String(20))


reviewer_topic = Table(
    "reviewer_topic",
    metadata,
    Column("reviewer_id", GUID(length=16), ForeignKey("reviewer.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", GUID(length=16), ForeignKey("abstract_topic.id", ondelete="CASCADE"), primary_key=True),
)


class Reviewer(Base):
    """A member invited to review for one call, with the topics and institutions they declared."""

    __tablename__ = "reviewer"
    __table_args__ = (UniqueConstraint("call_id", "user_id", name="uq_reviewer_call_user"),)

    call_id: Mapped[UUID] = mapped_column(ForeignKey("call_for_abstracts.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    institutions: Mapped[list[str]] = mapped_column(JsonB, default=list)
    invited_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    declined_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class ReviewerConflict(Base):
    """A declared conflict: one abstract, every abstract with an author of an institution, or with an author
    of an email address."""

    __tablename__ = "reviewer_conflict"
    __table_args__ = (
        CheckConstraint(
            "abstract_id is not null or institution is not null or author_email is not null", name="target"
        ),
    )

    reviewer_id: Mapped[UUID] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    abstract_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("abstract.id", ondelete="CASCADE"), nullable=True, index=True
    )
    institution: Mapped[str | None] = mapped_column(String(300), nullable=True)
    author_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    reason: Mapped[str] = mapped_column(String(300), default="")


class RubricCriterion(Base):
    __tablename__ = "rubric_criterion"
    __table_args__ = (
        UniqueConstraint("call_id", "name", name="uq_rubric_criterion_call_name"),
        CheckConstraint("weight > 0", name="weight"),
        CheckConstraint("max_score > min_score", name="score_range"),
    )

    call_id: Mapped[UUID] = mapped_column(ForeignKey("call_for_abstracts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[int] = mapped_column(Integer, default=1)
    min_score: Mapped[int] = mapped_column(Integer, default=1)
    max_score: Mapped[int] = mapped_column(Integer, default=5)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReviewAssignment(Base):
    __tablename__ = "review_assignment"
    __table_args__ = (
        UniqueConstraint("abstract_id", "reviewer_id", name="uq_review_assignment_pair"),
        CheckConstraint(in_sql("assigned_by", AssignedBy), name="assigned_by"),
    )

    abstract_id: Mapped[UUID] = mapped_column(ForeignKey("abstract.id", ondelete="CASCADE"))
    reviewer_id: Mapped[UUID] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    assigned_by: Mapped[str] = mapped_column(String(8), default=AssignedBy.AUTO.value)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class Review(Base):
    """The review of one assignment; ``submitted_at`` is None while the reviewer is still writing it."""

    __tablename__ = "review"

    assignment_id: Mapped[UUID] = mapped_column(ForeignKey("review_assignment.id", ondelete="CASCADE"), unique=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    comments_to_authors: Mapped[str] = mapped_column(Text, default="")
    comments_to_committee: Mapped[str] = mapped_column(Text, default="")


class ReviewScore(Base):
    """One criterion's score in one review (its range is the criterion's, checked by the service)."""

    __tablename__ = "review_score"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id", name="uq_review_score_criterion"),)

    review_id: Mapped[UUID] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"))
    criterion_id: Mapped[UUID] = mapped_column(ForeignKey("rubric_criterion.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)


class Decision(Base):
    """The record of deciding an abstract (its outcome is ``Abstract.status``): who and when, and which outcome
    the decision mail told, so each decision is mailed once under retries and a changed one once more."""

    __tablename__ = "abstract_decision"
    __table_args__ = (
        CheckConstraint(
            f"mailed_outcome is null or {in_sql('mailed_outcome', DECIDED)}",
            name="mailed_outcome",
        ),
    )

    abstract_id: Mapped[UUID] = mapped_column(ForeignKey("abstract.id", ondelete="CASCADE"), unique=True)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    decided_by_user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    mailed_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mailed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    mail_message_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), nullable=True
    )
