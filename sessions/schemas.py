"""Wire types for the program: sessions, speakers, conflicts and CSV import reports.

Nothing here carries a speaker's email except the organizer-only ``SpeakerRead``: the public program and
every session body list people by name and affiliation only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from podium.auth.schemas import EMAIL_CHARACTER
from podium.schema import Struct, line, paragraph
from podium.translated import Translatable, Translations
from sessions.models import SessionKind, SessionStatus

Kind = SessionKind
Status = SessionStatus
Role = Literal["speaker", "chair"]
AwareDateTime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Capacity = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
CreditHours = Annotated[float, msgspec.Meta(ge=0, le=99)]
# A speaker's address needs a dot after the @ too; the characters are the accounts' (see podium.auth.schemas).
Email = Annotated[
    str, msgspec.Meta(max_length=320, pattern=f"^{EMAIL_CHARACTER}+@{EMAIL_CHARACTER}+\\.{EMAIL_CHARACTER}+$")
]
PeopleIds = Annotated[list[UUID], msgspec.Meta(max_length=50)]


class SpeakerCreate(Struct):
    name: Annotated[str, line(200)]
    affiliation: Annotated[str, line(200, min_length=0)] = ""
    bio: Annotated[str, paragraph(5_000)] = ""
    email: Email | None = None


class SpeakerUpdate(Struct):
    name: Annotated[str, line(200)] | UnsetType = UNSET
    affiliation: Annotated[str, line(200, min_length=0)] | UnsetType = UNSET
    bio: Annotated[str, paragraph(5_000)] | UnsetType = UNSET
    email: Email | UnsetType | None = UNSET


class SpeakerRead(Struct):
    """Organizers only: the one body that carries the email."""

    id: UUID
    name: str
    affiliation: str
    bio: str
    email: str | None


class PersonRead(Struct):
    """A speaker or chair as the program shows them: never an email."""

    id: UUID
    name: str
    affiliation: str
    role: Role


# What a session's ``translations`` may hold, with the base title's limit (``podium.translated``).
SESSION_TEXTS = {"title": Translatable(300)}


class SessionCreate(Struct):
    """A new session; ``capacity`` left out (null) means the room's. ``speaker_ids``/``chair_ids`` are in
    program order. Publishing straight away checks conflicts like the publish action does."""

    title: Annotated[str, line(300)]
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    kind: Kind = SessionKind.SCIENTIFIC_SESSION
    abstract: Annotated[str, paragraph(20_000)] = ""
    track_id: UUID | None = None
    room_id: UUID | None = None
    capacity: Capacity | None = None
    required_add_on_id: UUID | None = None
    credit_hours: CreditHours = 0
    speaker_ids: PeopleIds = msgspec.field(default_factory=list)
    chair_ids: PeopleIds = msgspec.field(default_factory=list)
    status: Literal["draft", "published"] = "draft"
    override_conflicts: bool = False
    translations: Translations = msgspec.field(default_factory=dict)


class SessionUpdate(Struct):
    """PATCH (and "move": send ``starts_at``/``ends_at``/``room_id``); only the fields sent change. Status
    changes go through the publish and cancel actions. ``override_conflicts`` lets a published session
    change into a conflict."""

    title: Annotated[str, line(300)] | UnsetType = UNSET
    starts_at: AwareDateTime | UnsetType = UNSET
    ends_at: AwareDateTime | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    abstract: Annotated[str, paragraph(20_000)] | UnsetType = UNSET
    track_id: UUID | UnsetType | None = UNSET
    room_id: UUID | UnsetType | None = UNSET
    capacity: Capacity | UnsetType | None = UNSET
    required_add_on_id: UUID | UnsetType | None = UNSET
    credit_hours: CreditHours | UnsetType = UNSET
    speaker_ids: PeopleIds | UnsetType = UNSET
    chair_ids: PeopleIds | UnsetType = UNSET
    translations: Translations | UnsetType = UNSET
    override_conflicts: bool = False


class PublishRequest(Struct):
    override_conflicts: bool = False


class ProgramConflictRead(Struct):
    """One problem in the program: ``kind`` is a machine code, ``session_ids`` the sessions involved."""

    kind: Literal[
        "room_double_booked",
        "person_double_booked",
        "outside_event_days",
        "capacity_above_room",
        "add_on_from_other_event",
    ]
    message: str
    session_ids: list[UUID]


class PublicTalkRead(Struct):
    """A talk (timed from the session's start) or a poster (on a board), public only after its embargo.
    ``authors`` lists every author's name in order, as the abstract book does; ``link`` is the abstract's page."""

    position: int
    title: str
    presenter: str
    affiliation: str
    authors: str
    number: int | None
    minutes: int | None
    board: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    local_start: str | None
    local_end: str | None
    link: str


class SessionRead(Struct):
    id: UUID
    event_id: UUID
    kind: Kind
    # The reader's language on public reads where the organizer gave it; the base title for organizers.
    title: str
    abstract: str
    status: Status
    starts_at: dt.datetime
    ends_at: dt.datetime
    # The same instants as wall-clock time in the event's zone, for people and spreadsheets.
    local_start: str
    local_end: str
    timezone: str
    track_id: UUID | None
    track: str | None
    room_id: UUID | None
    room: str | None
    capacity: int | None
    # What applies: the session's own capacity, else the room's, else null (unlimited).
    effective_capacity: int | None
    seats_taken: int
    required_add_on_id: UUID | None
    credit_hours: float
    sequence: int
    changed_at: dt.datetime | None
    people: list[PersonRead]
    # The public talks, after their embargo (always empty in organizer listings, which have their own view).
    talks: list[PublicTalkRead] = msgspec.field(default_factory=list)
    translations: Translations = msgspec.field(default_factory=dict)


class PublishResult(Struct):
    published: int
    sessions: list[SessionRead]


class CsvRowError(Struct):
    line: int
    column: str
    message: str


class CsvImportResult(Struct):
    created: int
    updated: int
    unchanged: int
    speakers_created: int
