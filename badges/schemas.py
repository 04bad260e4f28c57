"""Wire types of badges, check-in and the scanner bundle.

For scanner clients (the staff scanner page), in brief:

``POST /api/checkins`` (staff or organizer; bearer token or session cookie) takes ``{"scans": [...]}``, one
to 500 scans, each ``{token | serial, checkpoint_id, direction, device_id, device_seq, device_time}``:
``token`` is the QR text exactly as read (see ``badges.tokens``), or ``serial`` the 8 characters printed
on the badge when staff type it. It answers 200 with ``{"results": [...]}`` in the same order, one
``ScanResult`` per scan. A scan whose (device_id, device_seq) was recorded before gets its original result
back with ``replayed: true`` and is not recorded again, so a device simply re-uploads its queue until it
gets an answer. Sequence numbers must never repeat for one device id: a number already used for a
different scan (another checkpoint, direction or moment) is a 409 ``sequence_reused`` naming
``scans[i].device_seq`` (give each install a fresh random device id).

``reason`` is one of ``admitted``, ``already_admitted`` (``first_admission`` says when and where),
``checked_out`` (an ``out`` scan of a valid badge), ``not_paid``, ``cancelled``, ``revoked``,
``wrong_event``, ``no_access``, ``outside_window`` or ``invalid``; ``level`` is ``ok`` (green), ``warn``
(amber: already admitted) or ``stop`` (red).

``GET /api/events/{event}/scanner-bundle`` (staff) is everything needed to answer scans offline: the
public key, checkpoints with their access rules and (for room doors) the sessions on in them, every badge's
serial, current version, status and add-ons, and the revocations. ``?names=true`` adds names for lookup.
It carries ``ETag``; send ``If-None-Match`` to get 304 when nothing changed.

Offline, a scanner answers like the server because it runs the server's rules: the bundle's ``rules`` is
the rule table of ``badges.rules`` (the first rule whose condition holds gives the reason), over facts the
scanner reads from the token, the badge, the checkpoint and its own record of whom it admitted.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from badges.models import CheckpointKind, Direction, ScanReason
from podium.schema import Struct, line

Reason = ScanReason
Level = Literal["ok", "warn", "stop"]
CheckpointKindName = CheckpointKind
DeviceId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
# JavaScript's safe integers, so a browser's counter never rounds.
DeviceSeq = Annotated[int, msgspec.Meta(ge=0, le=2**53 - 1)]
AwareTime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class ScanIn(Struct):
    """One scan as the device saw it. Exactly one of ``token`` (the QR text) or ``serial`` (typed)."""

    checkpoint_id: UUID
    device_id: DeviceId
    device_seq: DeviceSeq
    device_time: AwareTime
    direction: Direction = Direction.IN
    token: Annotated[str, msgspec.Meta(max_length=400)] | None = None
    serial: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class CheckinBatch(Struct):
    scans: Annotated[list[ScanIn], msgspec.Meta(min_length=1, max_length=500)]


class AttendeeBrief(Struct):
    name: str
    affiliation: str
    category: str
    serial: str


class FirstAdmission(Struct):
    at: dt.datetime
    checkpoint_id: UUID
    checkpoint_name: str
    device_id: str


class ScanResult(Struct):
    device_id: str
    device_seq: int
    reason: Reason
    level: Level
    message: str
    replayed: bool
    recorded_at: dt.datetime
    attendee: AttendeeBrief | None = None
    first_admission: FirstAdmission | None = None
    session_id: UUID | None = None
    session_title: str | None = None


class CheckinResults(Struct):
    results: list[ScanResult]


class BundleEvent(Struct):
    slug: str
    name: str
    timezone: str


class BundleKey(Struct):
    kid: str
    public_key: str
    alg: Literal["Ed25519"] = "Ed25519"


class RoomSlot(Struct):
    """A session on in a room: scans count for it from ``opens_at`` (doors open) to ``ends_at``."""

    session_id: UUID
    title: str
    opens_at: dt.datetime
    starts_at: dt.datetime
    ends_at: dt.datetime
    required_add_on: str | None


class BundleCheckpoint(Struct):
    id: UUID
    code: str
    name: str
    kind: CheckpointKindName
    required_add_on: str | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    sessions: list[RoomSlot]


class BundleBadge(Struct):
    serial: str
    version: int
    status: Literal["ok", "not_paid", "cancelled"]
    category: str
    add_ons: list[str]
    name: str | None = None
    affiliation: str | None = None
    email: str | None = None


class Revocation(Struct):
    """Tokens of this serial below ``below_version`` are revoked (the badge was reprinted)."""

    serial: str
    below_version: int


class BundleRule(Struct):
    """The first rule whose ``when`` holds gives ``reason``."""

    reason: Reason
    when: Any


class BundleRules(Struct):
    """The server's own admission rules (``badges.rules``): JSON expression trees over named facts, which a
    scanner interprets instead of keeping a copy of the rules (podium/static/js/scan-rules.js does)."""

    slot_open: Any
    rules: list[BundleRule]


class ScannerBundle(Struct):
    version: str
    event: BundleEvent
    key: BundleKey
    doors_open_minutes: int
    checkpoints: list[BundleCheckpoint]
    badges: list[BundleBadge]
    revoked: list[Revocation]
    rules: BundleRules
    # Each badge carries its category's code; what staff read offline is its name in their language.
    category_names: dict[str, str] = msgspec.field(default_factory=dict)


class CheckpointIn(Struct):
    """An organizer's checkpoint; room and session checkpoints usually come from ``sync`` instead."""

    code: Code
    name: Annotated[str, line(160)]
    kind: CheckpointKindName
    room_id: UUID | None = None
    session_id: UUID | None = None
    add_on: Code | None = None
    opens_at: AwareTime | None = None
    closes_at: AwareTime | None = None
    is_active: bool = True


class CheckpointUpdate(Struct):
    """What an organizer changes on a checkpoint: its name, its window, or closing it (``is_active``
    false: its scans are refused until it is opened again)."""

    name: Annotated[str, line(160)] | msgspec.UnsetType = msgspec.UNSET
    opens_at: AwareTime | msgspec.UnsetType | None = msgspec.UNSET
    closes_at: AwareTime | msgspec.UnsetType | None = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class CheckpointRead(Struct):
    id: UUID
    code: str
    name: str
    kind: CheckpointKindName
    room_id: UUID | None
    session_id: UUID | None
    add_on: str | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    is_active: bool


class CheckinSettingsIO(Struct):
    doors_open_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 30
    credit_threshold_pct: Annotated[int, msgspec.Meta(ge=1, le=100)] = 75


class AttendeeMatch(Struct):
    """A staff lookup hit: enough to recognise the person and check them in by serial."""

    registration_id: UUID
    name: str
    email: str
    affiliation: str
    category: str
    status: Literal["ok", "not_paid", "cancelled"]
    serial: str
    badge_version: int


class BadgeRead(Struct):
    registration_id: UUID
    serial: str
    version: int
    token: str
    print_count: int
    printed_at: dt.datetime | None


class PrintFilter(Struct):
    """Which badges a batch prints. ``surname_from``/``surname_to`` are inclusive, by first letters."""

    categories: Annotated[list[Code], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    surname_from: Annotated[str, msgspec.Meta(max_length=40)] = ""
    surname_to: Annotated[str, msgspec.Meta(max_length=40)] = ""
    not_printed: bool = False
    layout: Literal["4x3", "a6", "letter-6up", "a4-4up"] = "4x3"
