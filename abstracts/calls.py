"""The call for abstracts: one per event, written whole by an organizer, and its windows.

Every rule of the call is checked on the whole write and all failures are reported at once (each on its own
field), so the console's form can mark every wrong field in one round. Times given without an offset are the
event's wall-clock time; one that doesn't exist there (skipped by a daylight-saving change) is refused rather
than guessed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.call_schemas import (
    CallOpenRead,
    CallRead,
    CallTimes,
    CallWrite,
    CriterionRead,
    QuestionRead,
    SubmissionTypeRead,
    TopicRead,
)
from abstracts.models import (
    Abstract,
    CallForAbstracts,
    CustomQuestion,
    ReviewScore,
    RubricCriterion,
    SubmissionType,
    Topic,
)
from events import services as events
from events.models import Event
from podium.db import savepoint
from podium.errors import Conflict, FieldError, InvalidInput, NotFound
from podium.i18n import N_, gettext
from podium.references import refuse_if_used
from registration.models import Category
from sessions.talks import set_visible_from


@dataclass(frozen=True)
class CallView:
    """A call with its children in order, as the services and pages read it."""

    event: Event
    call: CallForAbstracts
    types: list[SubmissionType]
    topics: list[Topic]
    questions: list[CustomQuestion]
    rubric: list[RubricCriterion]

    def type_by_id(self, type_id: UUID) -> SubmissionType | None:
        return next((t for t in self.types if t.id == type_id), None)


def window(call: CallForAbstracts, submission_type: SubmissionType) -> tuple[dt.datetime, dt.datetime]:
    """When abstracts of this type may be started, changed, submitted or withdrawn: the late-breaking window
    for late-breaking types, the main one otherwise."""
    if submission_type.is_late_breaking and call.late_breaking_opens_at and call.late_breaking_closes_at:
        return call.late_breaking_opens_at, call.late_breaking_closes_at
    return call.opens_at, call.closes_at


def _local_instant(value: dt.datetime, tz: zoneinfo.ZoneInfo, field: str, errors: list[FieldError]) -> dt.datetime:
    if not events.EARLIEST_YEAR <= value.year <= events.LATEST_YEAR:
        # Checked before any conversion: an offset applied to year 1 or 9999 leaves the calendar.
        errors.append(FieldError(field, events.year_out_of_range()))
        return value.replace(tzinfo=dt.UTC)
    if value.tzinfo is None:
        aware = value.replace(tzinfo=tz)
        if aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != value:
            wording = gettext("%(when)s does not exist in %(zone)s (clocks skip it)")
            errors.append(FieldError(field, wording % {"when": f"{value:%Y-%m-%d %H:%M}", "zone": tz.key}))
        value = aware
    return value.astimezone(dt.UTC)


@dataclass(frozen=True)
class _Times:
    opens: dt.datetime
    closes: dt.datetime
    embargo: dt.datetime
    late_opens: dt.datetime | None
    late_closes: dt.datetime | None


def _times(data: CallWrite, tz: zoneinfo.ZoneInfo, errors: list[FieldError]) -> _Times:
    def read(name: str) -> dt.datetime | None:
        value = getattr(data, name)
        return None if value is None else _local_instant(value, tz, name, errors)

    opens, closes, embargo = read("opens_at"), read("closes_at"), read("embargo_until")
    late_opens, late_closes = read("late_breaking_opens_at"), read("late_breaking_closes_at")
    assert opens is not None and closes is not None and embargo is not None
    if closes <= opens:
        errors.append(FieldError("closes_at", N_("the call must close after it opens")))
    if (late_opens is None) != (late_closes is None):
        missing = "late_breaking_closes_at" if late_closes is None else "late_breaking_opens_at"
        errors.append(FieldError(missing, N_("a late-breaking window needs both its opening and its closing")))
    if late_opens is not None and late_opens < opens:
        errors.append(FieldError("late_breaking_opens_at", N_("the late-breaking window cannot open before the call")))
    if late_opens is not None and late_closes is not None and late_closes <= late_opens:
        errors.append(FieldError("late_breaking_closes_at", N_("the late-breaking window must close after it opens")))
    last_close = max(closes, late_closes or closes)
    if embargo < last_close:
        errors.append(
            FieldError("embargo_until", N_("the embargo cannot end before the call (and its late window) closes"))
        )
    return _Times(opens, closes, embargo, late_opens, late_closes)


def no_call(slug: str) -> str:
    """The refusal of an event (named by its slug) that has no call for abstracts, in the request's language."""
    return gettext("event %(slug)s has no call for abstracts") % {"slug": repr(slug)}


def _duplicates(names: Sequence[str], field: str, attribute: str) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for index, name in enumerate(names):
        folded = name.strip().casefold()
        if folded in seen:
            wording = gettext("%(name)s is listed twice") % {"name": repr(name)}
            errors.append(FieldError(f"{field}[{index}].{attribute}", wording))
        seen.add(folded)
    return errors


def _list_errors(data: CallWrite, has_late_window: bool) -> list[FieldError]:
    errors = _duplicates([t.key for t in data.submission_types], "submission_types", "key")
    errors += _duplicates([t.name for t in data.topics], "topics", "name")
    errors += _duplicates([c.name for c in data.rubric], "rubric", "name")
    for index, kind in enumerate(data.submission_types):
        if kind.is_late_breaking and not has_late_window:
            errors.append(
                FieldError(f"submission_types[{index}].is_late_breaking", N_("the call has no late-breaking window"))
            )
        if kind.max_talks < kind.min_talks:
            errors.append(FieldError(f"submission_types[{index}].max_talks", N_("must be at least min_talks")))
    for index, criterion in enumerate(data.rubric):
        if criterion.max_score <= criterion.min_score:
            errors.append(FieldError(f"rubric[{index}].max_score", N_("must be above the lowest score")))
    return errors


async def _category_errors(
    db_session: AsyncSession, event: Event, category_id: UUID | None, field: str
) -> list[FieldError]:
    if category_id is None:
        return []
    found = await db_session.scalar(
        select(Category.id).where(Category.id == category_id, Category.event_id == event.id)
    )
    if found is None:
        return [FieldError(field, N_("no such registration category at this event"))]
    return []


async def load_call(db_session: AsyncSession, event: Event) -> CallView | None:
    call = await db_session.scalar(select(CallForAbstracts).where(CallForAbstracts.event_id == event.id))
    if call is None:
        return None

    async def rows(model: Any) -> list[Any]:
        query = select(model).where(model.call_id == call.id).order_by(model.position, model.id)
        return list((await db_session.scalars(query)).all())

    return CallView(
        event=event,
        call=call,
        types=await rows(SubmissionType),
        topics=await rows(Topic),
        questions=await rows(CustomQuestion),
        rubric=await rows(RubricCriterion),
    )


async def get_call(db_session: AsyncSession, slug: str, *, published_only: bool = False) -> CallView:
    event = await events.get_event(db_session, slug, published_only=published_only, with_children=False)
    view = await load_call(db_session, event)
    if view is None:
        raise NotFound(
            gettext("%(event)s has no call for abstracts") % {"event": event.name}, field="event", code="no_call"
        )
    return view


class _Row(Protocol):
    id: UUID
    position: int


_R = TypeVar("_R", bound=_Row)


async def _sync_children(
    db_session: AsyncSession,
    existing: Sequence[_R],
    wanted: Sequence[Any],
    make: Any,
    field: str,
    on_remove: Any,
) -> None:
    """Make the call's rows of one kind the list ``wanted``: update those named by id, add new ones, remove the
    rest (``on_remove`` refuses a removal that would lose someone's work)."""
    by_id = {row.id: row for row in existing}
    unknown = [
        FieldError(f"{field}[{i}].id", N_("not an item of this call"))
        for i, item in enumerate(wanted)
        if item.id is not None and item.id not in by_id
    ]
    if unknown:
        raise InvalidInput(unknown[0].message, field=unknown[0].field, errors=unknown)
    kept = {item.id for item in wanted if item.id is not None}
    for row in existing:
        if row.id not in kept:
            await on_remove(row)
            await db_session.delete(row)
    await db_session.flush()
    for position, item in enumerate(wanted):
        values = {k: v for k, v in _fields(item).items() if k != "id"}
        if item.id is None:
            db_session.add(make(position=position, **values))
            continue
        row = by_id[item.id]
        for name, value in values.items():
            setattr(row, name, value)
        row.position = position


def _fields(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__struct_fields__}


async def put_call(db_session: AsyncSession, slug: str, data: CallWrite) -> CallView:
    """Create or replace the event's call. Nothing is written unless every rule holds."""
    event = await events.get_event(db_session, slug, with_children=False)
    errors: list[FieldError] = []
    times = _times(data, events.zone(event.timezone), errors)
    errors += _list_errors(data, has_late_window=times.late_opens is not None)
    errors += await _category_errors(db_session, event, data.submission_fee_category_id, "submission_fee_category_id")
    errors += await _category_errors(db_session, event, data.presenter_category_id, "presenter_category_id")
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)
    view = await load_call(db_session, event)
    async with savepoint(db_session, Conflict(N_("the call was changed at the same time; try again"), field="event")):
        call = view.call if view else CallForAbstracts(event_id=event.id)
        call.opens_at, call.closes_at, call.embargo_until = times.opens, times.closes, times.embargo
        call.late_breaking_opens_at, call.late_breaking_closes_at = times.late_opens, times.late_closes
        for name in (
            "reviews_per_abstract",
            "blind",
            "disclosure_required",
            "submission_fee_category_id",
            "presenter_category_id",
            "accept_oral_wording",
            "accept_poster_wording",
            "reject_wording",
        ):
            setattr(call, name, getattr(data, name))
        db_session.add(call)
        await db_session.flush()
        await _write_children(db_session, call, view, data)
        # The embargo is the call's: talks already in the program follow it (``sessions.talks``).
        await set_visible_from(db_session, select(Abstract.id).where(Abstract.call_id == call.id), times.embargo)
    written = await load_call(db_session, event)
    assert written is not None
    return written


async def _write_children(
    db_session: AsyncSession, call: CallForAbstracts, view: CallView | None, data: CallWrite
) -> None:
    async def used(row: Any, what: str, field: str) -> None:
        await refuse_if_used(db_session, row, what=what, field=field)

    async def scored(row: Any) -> None:
        count = await db_session.scalar(select(func.count()).where(ReviewScore.criterion_id == row.id))
        if count:
            raise Conflict(
                gettext("reviews already scored %(criterion)s: it can't be removed") % {"criterion": repr(row.name)},
                field="rubric",
                code="in_use",
            )

    async def nothing(_row: Any) -> None:
        return None

    await _sync_children(
        db_session,
        view.types if view else [],
        data.submission_types,
        lambda **v: SubmissionType(call_id=call.id, **v),
        "submission_types",
        lambda row: used(row, N_("submission type"), "submission_types"),
    )
    await _sync_children(
        db_session,
        view.topics if view else [],
        data.topics,
        lambda **v: Topic(call_id=call.id, **v),
        "topics",
        lambda row: used(row, N_("topic"), "topics"),
    )
    await _sync_children(
        db_session,
        view.questions if view else [],
        data.questions,
        lambda **v: CustomQuestion(call_id=call.id, **v),
        "questions",
        nothing,
    )
    await _sync_children(
        db_session,
        view.rubric if view else [],
        data.rubric,
        lambda **v: RubricCriterion(call_id=call.id, **v),
        "rubric",
        scored,
    )
    await db_session.flush()


def local_text(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def _maybe_local(value: dt.datetime | None, timezone: str) -> str | None:
    return None if value is None else local_text(value, timezone)


def call_times(view: CallView) -> CallTimes:
    call, tz = view.call, view.event.timezone
    return CallTimes(
        timezone=tz,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        embargo_until=call.embargo_until,
        late_breaking_opens_at=call.late_breaking_opens_at,
        late_breaking_closes_at=call.late_breaking_closes_at,
        local_opens_at=local_text(call.opens_at, tz),
        local_closes_at=local_text(call.closes_at, tz),
        local_embargo_until=local_text(call.embargo_until, tz),
        local_late_breaking_opens_at=_maybe_local(call.late_breaking_opens_at, tz),
        local_late_breaking_closes_at=_maybe_local(call.late_breaking_closes_at, tz),
    )


def type_read(view: CallView, kind: SubmissionType) -> SubmissionTypeRead:
    opens, closes = window(view.call, kind)
    return SubmissionTypeRead(
        id=kind.id,
        key=kind.key,  # type: ignore[arg-type]  # a SubmissionKind value by the CHECK constraint; the column is str
        name=kind.name,
        body_word_limit=kind.body_word_limit,
        title_max_chars=kind.title_max_chars,
        is_late_breaking=kind.is_late_breaking,
        is_symposium=kind.is_symposium,
        min_talks=kind.min_talks,
        max_talks=kind.max_talks,
        opens_at=opens,
        closes_at=closes,
        local_opens_at=local_text(opens, view.event.timezone),
        local_closes_at=local_text(closes, view.event.timezone),
    )


def _topics(view: CallView) -> list[TopicRead]:
    return [TopicRead(id=t.id, name=t.name) for t in view.topics]


def _questions(view: CallView) -> list[QuestionRead]:
    return [QuestionRead(id=q.id, label=q.label, required=q.required, max_chars=q.max_chars) for q in view.questions]


def to_read(view: CallView) -> CallRead:
    call = view.call
    return CallRead(
        id=call.id,
        event=view.event.slug,
        times=call_times(view),
        reviews_per_abstract=call.reviews_per_abstract,
        blind=call.blind,
        disclosure_required=call.disclosure_required,
        submission_fee_category_id=call.submission_fee_category_id,
        presenter_category_id=call.presenter_category_id,
        accept_oral_wording=call.accept_oral_wording,
        accept_poster_wording=call.accept_poster_wording,
        reject_wording=call.reject_wording,
        submission_types=[type_read(view, t) for t in view.types],
        topics=_topics(view),
        questions=_questions(view),
        rubric=[
            CriterionRead(id=c.id, name=c.name, weight=c.weight, min_score=c.min_score, max_score=c.max_score)
            for c in view.rubric
        ],
    )


def to_open_read(view: CallView) -> CallOpenRead:
    return CallOpenRead(
        event=view.event.slug,
        event_name=view.event.name,
        times=call_times(view),
        disclosure_required=view.call.disclosure_required,
        submission_fee_category_id=view.call.submission_fee_category_id,
        submission_types=[type_read(view, t) for t in view.types],
        topics=_topics(view),
        questions=_questions(view),
    )
