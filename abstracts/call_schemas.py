"""Wire types of the call for abstracts: what the organizer writes and reads, and what submitters see of it.

Times are written as the event's wall-clock time ("2027-03-01T09:00", read in the event's zone) or as an instant
with an offset; they are read back both ways. Lists are written whole: an item with an ``id`` is that item
changed, one without is new, and an item left out is removed (``abstracts.calls`` says when it can't be).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from abstracts.models import SubmissionKind
from podium.schema import Struct, line, paragraph

WordLimit = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
TitleLimit = Annotated[int, msgspec.Meta(ge=10, le=1_000)]
TalkCount = Annotated[int, msgspec.Meta(ge=1, le=20)]
AnswerLimit = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
Score = Annotated[int, msgspec.Meta(ge=-100, le=100)]
Weight = Annotated[int, msgspec.Meta(ge=1, le=100)]
Wording = Annotated[str, paragraph(2_000)]


class SubmissionTypeWrite(Struct):
    key: SubmissionKind
    name: Annotated[str, line(120)]
    id: UUID | None = None
    body_word_limit: WordLimit = 300
    title_max_chars: TitleLimit = 200
    # Submitted and edited in the late-breaking window (the call must have one).
    is_late_breaking: bool = False
    # A symposium proposal: several talks (abstracts of their own naming it), between these many.
    is_symposium: bool = False
    min_talks: TalkCount = 2
    max_talks: TalkCount = 6


class TopicWrite(Struct):
    name: Annotated[str, line(200)]
    id: UUID | None = None


class QuestionWrite(Struct):
    label: Annotated[str, line(300)]
    id: UUID | None = None
    required: bool = False
    max_chars: AnswerLimit = 500


class CriterionWrite(Struct):
    name: Annotated[str, line(120)]
    id: UUID | None = None
    weight: Weight = 1
    min_score: Score = 1
    max_score: Score = 5


class CallWrite(Struct):
    """The whole call (PUT creates or replaces it); lists in the order submitters and reviewers see them."""

    opens_at: dt.datetime
    closes_at: dt.datetime
    embargo_until: dt.datetime
    submission_types: Annotated[list[SubmissionTypeWrite], msgspec.Meta(min_length=1, max_length=4)]
    late_breaking_opens_at: dt.datetime | None = None
    late_breaking_closes_at: dt.datetime | None = None
    reviews_per_abstract: Annotated[int, msgspec.Meta(ge=1, le=20)] = 3
    blind: bool = True
    disclosure_required: bool = False
    submission_fee_category_id: UUID | None = None
    presenter_category_id: UUID | None = None
    accept_oral_wording: Wording = ""
    accept_poster_wording: Wording = ""
    reject_wording: Wording = ""
    topics: Annotated[list[TopicWrite], msgspec.Meta(max_length=200)] = msgspec.field(default_factory=list)
    questions: Annotated[list[QuestionWrite], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    rubric: Annotated[list[CriterionWrite], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)


class SubmissionTypeRead(Struct):
    id: UUID
    key: SubmissionKind
    name: str
    body_word_limit: int
    title_max_chars: int
    is_late_breaking: bool
    is_symposium: bool
    min_talks: int
    max_talks: int
    # When abstracts of this type can be started, edited, submitted and withdrawn (UTC and the event's time).
    opens_at: dt.datetime
    closes_at: dt.datetime
    local_opens_at: str
    local_closes_at: str


class TopicRead(Struct):
    id: UUID
    name: str


class QuestionRead(Struct):
    id: UUID
    label: str
    required: bool
    max_chars: int


class CriterionRead(Struct):
    id: UUID
    name: str
    weight: int
    min_score: int
    max_score: int


class CallTimes(Struct):
    """The call's times as instants (UTC) and as the event's wall-clock time."""

    timezone: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    embargo_until: dt.datetime
    late_breaking_opens_at: dt.datetime | None
    late_breaking_closes_at: dt.datetime | None
    local_opens_at: str
    local_closes_at: str
    local_embargo_until: str
    local_late_breaking_opens_at: str | None
    local_late_breaking_closes_at: str | None


class CallRead(Struct):
    """Organizers only: the whole call, the rubric and the decision wording included."""

    id: UUID
    event: str
    times: CallTimes
    reviews_per_abstract: int
    blind: bool
    disclosure_required: bool
    submission_fee_category_id: UUID | None
    presenter_category_id: UUID | None
    accept_oral_wording: str
    accept_poster_wording: str
    reject_wording: str
    submission_types: list[SubmissionTypeRead]
    topics: list[TopicRead]
    questions: list[QuestionRead]
    rubric: list[CriterionRead]


class CallOpenRead(Struct):
    """What a submitter sees of the call: its windows, types, topics and questions; never the rubric, the
    review settings or the decision wording."""

    event: str
    event_name: str
    times: CallTimes
    disclosure_required: bool
    submission_fee_category_id: UUID | None
    submission_types: list[SubmissionTypeRead]
    topics: list[TopicRead]
    questions: list[QuestionRead]
