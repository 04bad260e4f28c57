"""Accepted abstracts into the program: orals as ordered, timed talks of a session, posters on boards of a
poster session. The program's rules (talks fit the session, boards unique, presenters become its speakers)
are the sessions domain's (``sessions.talks``); this module checks the abstracts' side (accepted, of this
call, the right kind) and records where each abstract went, and which speaker its presenting author became.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import symposia
from abstracts.decisions import abstracts_of_call, call_of_event
from abstracts.formatting import render_body
from abstracts.models import Abstract, AbstractAuthor, AbstractStatus
from abstracts.status_words import status_word
from podium.audit import Actor
from podium.errors import Conflict
from podium.i18n import N_, gettext
from sessions.models import Talk
from sessions.talks import TalkIn, place_talks


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one abstract goes: ``minutes`` for a talk, ``board`` for a poster."""

    abstract_id: UUID
    minutes: int | None = None
    board: str | None = None


async def _presenters(
    db_session: AsyncSession, ids: Sequence[UUID]
) -> tuple[dict[UUID, AbstractAuthor], dict[UUID, str]]:
    """Each abstract's presenting author, else its first author; and every author's name in order, as the
    abstract book lists them (the public program shows the same)."""
    authors = (
        await db_session.scalars(
            select(AbstractAuthor)
            .where(AbstractAuthor.abstract_id.in_(ids))
            .order_by(AbstractAuthor.abstract_id, AbstractAuthor.position)
        )
    ).all()
    found: dict[UUID, AbstractAuthor] = {}
    names: dict[UUID, list[str]] = defaultdict(list)
    for author in authors:
        if author.is_presenting or author.abstract_id not in found:
            found[author.abstract_id] = author
        names[author.abstract_id].append(author.full_name)
    return found, {abstract_id: ", ".join(listed) for abstract_id, listed in names.items()}


def public_link(slug: str, abstract_id: UUID) -> str:
    """The abstract's page in the public list of accepted abstracts (``abstracts.public_pages``)."""
    return f"/events/{slug}/accepted-abstracts/{abstract_id}"


async def _with_symposium_talks(db_session: AsyncSession, slots: Sequence[Slot]) -> list[Slot]:
    """A symposium proposal listed as one talk stands for its talks, in their order, each of its minutes: the
    proposal itself is the session, not a talk of it (``abstracts.symposia``)."""
    talks = await symposia.talks_by_proposal(db_session, [s.abstract_id for s in slots])
    expanded: list[Slot] = []
    for slot in slots:
        own = talks.get(slot.abstract_id)
        expanded += [Slot(t.id, minutes=slot.minutes) for t in own] if own else [slot]
    return expanded


async def schedule(
    db_session: AsyncSession, slug: str, session_id: UUID, slots: Sequence[Slot], *, poster: bool, actor: Actor
) -> list[Talk]:
    """Place the listed abstracts into the session in this order (the whole list: others leave it); every
    abstract must be accepted as an oral (talks) or a poster (posters), else 409 naming its place."""
    event, call = await call_of_event(db_session, slug)
    if not poster:
        slots = await _with_symposium_talks(db_session, slots)
    found = await abstracts_of_call(db_session, call, [s.abstract_id for s in slots], field="abstract_ids")
    if len(found) != len(slots):
        raise Conflict(N_("an abstract is listed twice"), field="abstract_ids", code="listed_twice")
    wanted = AbstractStatus.ACCEPTED_POSTER if poster else AbstractStatus.ACCEPTED_ORAL
    for index, abstract in enumerate(found):
        if abstract.status != wanted:
            raise Conflict(
                gettext("abstract %(id)s is %(status)s, not %(wanted)s")
                % {
                    "id": abstract.number or abstract.id,
                    "status": status_word(abstract.status),
                    "wanted": status_word(wanted),
                },
                field=f"abstract_ids[{index}]",
                code="not_accepted_as_" + ("poster" if poster else "oral"),
            )
    presenters, names = await _presenters(db_session, [a.id for a in found])
    for index, abstract in enumerate(found):
        if abstract.id not in presenters:
            raise Conflict(N_("this abstract has no authors"), field=f"abstract_ids[{index}]", code="no_authors")
    talks = [
        TalkIn(
            source_id=abstract.id,
            title=abstract.title,
            presenter_name=presenters[abstract.id].full_name,
            presenter_email=presenters[abstract.id].email,
            presenter_affiliation=presenters[abstract.id].institution,
            visible_from=call.embargo_until,
            number=abstract.number,
            abstract_text=abstract.body,
            abstract_html=str(render_body(abstract.body)),
            authors=names.get(abstract.id, ""),
            link=public_link(event.slug, abstract.id),
            minutes=slot.minutes,
            board=slot.board,
        )
        for abstract, slot in zip(found, slots, strict=True)
    ]
    placed = await place_talks(db_session, event.id, session_id, talks, actor=actor)
    by_source = {t.source_id: t for t in placed}
    left = await db_session.scalars(
        select(Abstract).where(Abstract.session_id == session_id, Abstract.id.not_in([a.id for a in found]))
    )
    for abstract in left.all():
        abstract.session_id = abstract.talk_position = abstract.talk_minutes = abstract.poster_board = None
    for abstract, slot in zip(found, slots, strict=True):
        talk = by_source[abstract.id]
        abstract.session_id, abstract.talk_position = session_id, talk.position
        abstract.talk_minutes, abstract.poster_board = slot.minutes, slot.board
        presenters[abstract.id].speaker_id = talk.speaker_id
    await db_session.flush()
    return placed
