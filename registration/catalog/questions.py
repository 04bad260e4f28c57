"""Registration questions (dietary needs, accessibility, anything custom) that buyers answer per attendee."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from events.services import editable_event, get_event, required_text
from podium import audit
from podium.errors import InvalidInput
from podium.i18n import N_, gettext
from registration.catalog import schemas as s
from registration.catalog.rows import Questions, changes
from registration.models import Question

# What the audit trail keeps of a question (``podium.audit``).
_QUESTION_FIELDS = ("code", "label", "kind", "required", "options", "position")


def question_read(question: Question) -> s.QuestionRead:
    return s.QuestionRead(
        id=question.id,
        code=question.code,
        label=question.label,
        kind=cast(Any, question.kind),
        required=question.required,
        options=list(question.options),
        position=question.position,
    )


def _check_options(kind: str, options: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(o.strip() for o in options if o.strip()))
    if kind == "choice" and len(cleaned) < 2:
        raise InvalidInput(N_("a choice needs at least two different options"), field="options")
    if kind != "choice" and cleaned:
        raise InvalidInput(N_("only choice questions have options"), field="options")
    return cleaned


async def list_questions(db_session: AsyncSession, slug: str) -> list[s.QuestionRead]:
    event = await get_event(db_session, slug)
    return [question_read(q) for q in await Questions(db_session).of(event)]


async def create_question(db_session: AsyncSession, slug: str, data: s.QuestionCreate) -> s.QuestionRead:
    event = await editable_event(db_session, slug)
    question = Question(
        id=uuid4(),  # known before the flush, for its audit entry
        event_id=event.id,
        code=data.code,
        label=required_text(data.label, "label"),
        kind=data.kind,
        required=data.required,
        options=_check_options(data.kind, data.options),
        position=data.position,
    )
    await Questions(db_session).add_unique(
        question, gettext("a question with code %(code)s exists") % {"code": repr(data.code)}
    )
    audit.record_created(
        db_session, "question", question.id, audit.snapshot(question, _QUESTION_FIELDS), None, event_id=event.id
    )
    return question_read(question)


async def update_question(
    db_session: AsyncSession, slug: str, question_id: UUID, data: s.QuestionUpdate
) -> s.QuestionRead:
    event = await editable_event(db_session, slug)
    question = await Questions(db_session).of_event(event, question_id)
    before = audit.snapshot(question, _QUESTION_FIELDS)
    sent = changes(data)
    if "options" in sent:
        sent["options"] = _check_options(question.kind, sent["options"])
    for name, value in sent.items():
        setattr(question, name, required_text(value, name) if name == "label" else value)
    after = audit.snapshot(question, _QUESTION_FIELDS)
    audit.record_updated(db_session, "question", question.id, before, after, None, event_id=event.id)
    return question_read(question)


async def delete_question(db_session: AsyncSession, slug: str, question_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    questions = Questions(db_session)
    question = await questions.of_event(event, question_id)
    await questions.refuse_if_used(question)
    before = audit.snapshot(question, _QUESTION_FIELDS)
    audit.record_deleted(db_session, "question", question.id, before, None, event_id=event.id)
    await questions.remove(question)
