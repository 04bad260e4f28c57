"""Deciding abstracts: accept as oral or poster, reject, or mark withdrawn, one or many at once (a list of
ids taken from the ranked list).

The outcome is ``Abstract.status``; the ``Decision`` row records who decided when. A bulk decision is all or
nothing: every id is checked before anything changes, and the first bad one is named (``abstract_ids[i]``).
Deciding an abstract again with the outcome it has changes nothing, so a retried request moves no
``decided_at`` and the decision mail (``abstracts.decision_mail``) is not sent a second time.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import symposia
from abstracts.calls import no_call
from abstracts.models import DECIDED, Abstract, AbstractAuthor, AbstractStatus, CallForAbstracts, Decision
from events.models import Event
from events.services import get_event
from podium import audit
from podium.audit import Actor
from podium.db import utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import gettext
from sessions.talks import remove_talks


class Outcome(enum.StrEnum):
    """What an organizer can decide: the three decided statuses, or withdrawn (on the author's word)."""

    ACCEPTED_ORAL = AbstractStatus.ACCEPTED_ORAL.value
    ACCEPTED_POSTER = AbstractStatus.ACCEPTED_POSTER.value
    REJECTED = AbstractStatus.REJECTED.value
    WITHDRAWN = AbstractStatus.WITHDRAWN.value


# Statuses an abstract can be decided from: submitted, or decided already (a decision can be changed).
DECIDABLE = frozenset({AbstractStatus.SUBMITTED.value, *(s.value for s in DECIDED)})


@dataclass(frozen=True, slots=True)
class Decided:
    """One abstract after a bulk decision, and whether this call changed it."""

    abstract: Abstract
    changed: bool


async def call_of_event(db_session: AsyncSession, slug: str) -> tuple[Event, CallForAbstracts]:
    """The event (404 naming ``event``) and its call for abstracts (404 naming ``call``)."""
    event = await get_event(db_session, slug, with_children=False)
    call = await db_session.scalar(select(CallForAbstracts).where(CallForAbstracts.event_id == event.id))
    if call is None:
        raise NotFound(no_call(slug), field="call")
    return event, call


async def abstracts_of_call(
    db_session: AsyncSession, call: CallForAbstracts, ids: Sequence[UUID], *, field: str = "abstract_ids"
) -> list[Abstract]:
    """The call's abstracts in the order asked (duplicates once), locked for the change; an id that is not
    one of this call's answers 422 naming its place in the list."""
    wanted = list(dict.fromkeys(ids))
    found = {
        a.id: a
        for a in (
            await db_session.scalars(
                select(Abstract)
                .where(Abstract.call_id == call.id, Abstract.id.in_(wanted))
                .order_by(Abstract.id)
                .with_for_update()
            )
        ).all()
    }
    for index, abstract_id in enumerate(ids):
        if abstract_id not in found:
            raise InvalidInput(
                gettext("no abstract %(id)s in this call") % {"id": abstract_id}, field=f"{field}[{index}]"
            )
    return [found[i] for i in wanted]


async def decide(
    db_session: AsyncSession, slug: str, ids: Sequence[UUID], outcome: Outcome, *, actor: Actor
) -> list[Decided]:
    """Give each abstract ``outcome``; all or nothing. A draft can't be decided (409 ``not_submitted``), nor
    can a withdrawn abstract be accepted or rejected (409 ``withdrawn``)."""
    event, call = await call_of_event(db_session, slug)
    found = await abstracts_of_call(db_session, call, ids)
    position = {abstract_id: index for index, abstract_id in enumerate(ids)}
    for abstract in found:
        field = f"abstract_ids[{position[abstract.id]}]"
        if abstract.status == AbstractStatus.DRAFT:
            raise Conflict(
                gettext("abstract %(id)s is a draft, never submitted") % {"id": abstract.id},
                field=field,
                code="not_submitted",
            )
        if abstract.status == AbstractStatus.WITHDRAWN and outcome != Outcome.WITHDRAWN:
            raise Conflict(
                gettext("abstract %(id)s was withdrawn") % {"id": abstract.id}, field=field, code="withdrawn"
            )
    # A symposium proposal's submitted talks take its outcome with it (they are not decided on their own).
    talks = await symposia.talks_by_proposal(db_session, [a.id for a in found])
    found = [*found, *(talk for a in found for talk in talks.get(a.id, []) if talk.id not in position)]
    decisions = {
        d.abstract_id: d
        for d in (
            await db_session.scalars(select(Decision).where(Decision.abstract_id.in_([a.id for a in found])))
        ).all()
    }
    now = utcnow()
    results: list[Decided] = []
    for abstract in found:
        before = abstract.status
        if before == outcome.value:
            results.append(Decided(abstract, changed=False))
            continue
        abstract.status = outcome.value
        if outcome == Outcome.WITHDRAWN:
            abstract.withdrawn_at = now
        else:
            decision = decisions.get(abstract.id)
            if decision is None:
                db_session.add(Decision(abstract_id=abstract.id, decided_at=now, decided_by_user_id=actor.user_id))
            else:
                decision.decided_at, decision.decided_by_user_id = now, actor.user_id
        audit.record(db_session, "abstract", abstract.id, before, outcome.value, actor, event_id=event.id)
        results.append(Decided(abstract, changed=True))
    # An abstract placed in the program under one decision leaves it when the decision changes.
    leaving = [r.abstract for r in results if r.changed and r.abstract.session_id is not None]
    if leaving:
        await remove_talks(db_session, [a.id for a in leaving], actor=actor)
        for abstract in leaving:
            abstract.session_id = abstract.talk_position = abstract.talk_minutes = abstract.poster_board = None
        await db_session.execute(
            update(AbstractAuthor)
            .where(AbstractAuthor.abstract_id.in_([a.id for a in leaving]))
            .values(speaker_id=None)
        )
    await db_session.flush()
    return results
