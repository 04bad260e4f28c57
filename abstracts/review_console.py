"""The organizers' review console page: invite reviewers, assign them (automatically, or add and remove one by
hand, refused with the conflict rule it would break), follow progress and reminders, and decide from the ranked
lists (pick abstracts or the top N of a list), then go on to the decision mails' preview. Every action calls the
service the API calls; every refusal comes back on the page, named."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import review_assignments, review_reports, reviewers
from abstracts.decisions import Outcome, decide
from abstracts.models import Abstract, ReviewAssignment
from abstracts.review_schemas import AssignmentCreate, RankedGroupRead, ReviewerInvite
from events.services import get_event
from podium import audit
from podium.auth.guards import requires_organizer
from podium.errors import Conflict, DomainError, InvalidInput, NotFound
from podium.forms import FormData, read_form
from podium.i18n import LOCALE_NAMES, N_, gettext
from podium.outbox_models import OutboxMessage
from podium.pages import form_errors, redirect, render

OUTCOMES = {
    Outcome.ACCEPTED_ORAL.value: N_("Accept as oral (a talk)"),
    Outcome.ACCEPTED_POSTER.value: N_("Accept as poster"),
    Outcome.REJECTED.value: N_("Reject"),
}


def group_key(group: RankedGroupRead) -> str:
    """A ranked list's name in a form: its topic and submission type ids."""
    return f"{group.topic_id or ''}:{group.submission_type_id or ''}"


async def reminders_sent(db_session: AsyncSession, reviewer_ids: list[UUID]) -> dict[UUID, int]:
    """Reminder mails written per reviewer (their outbox keys are ``review-reminder:<reviewer id>:<window>``)."""
    keys = await db_session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("review-reminder:%"))
    )
    wanted = {str(reviewer_id): reviewer_id for reviewer_id in reviewer_ids}
    counts = dict.fromkeys(reviewer_ids, 0)
    for key in keys.all():
        reviewer_id = wanted.get(key.split(":")[1])
        if reviewer_id is not None:
            counts[reviewer_id] += 1
    return counts


async def _abstract_by_number(db_session: AsyncSession, call_id: UUID, raw: str) -> UUID:
    if not raw.strip().isdigit():
        raise InvalidInput(gettext("Enter the abstract's number."), field="abstract")
    found = await db_session.scalar(
        select(Abstract.id).where(Abstract.call_id == call_id, Abstract.number == int(raw.strip()))
    )
    if found is None:
        raise NotFound(gettext("No abstract has this number in this call."), field="abstract")
    return found


def _reviewer_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise InvalidInput(gettext("Choose a reviewer."), field="reviewer") from None


class OrganizerReviewPages(Controller):
    path = "/organizer/events/{slug:str}/review"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def console(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        assigned: FromQuery[int | None] = None,
        short: FromQuery[int | None] = None,
        invited: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        done_note = {"added": gettext("Reviewer added."), "removed": gettext("Reviewer removed.")}.get(done or "")
        return await self._page(
            request, db_session, slug, assigned=assigned, short=short, invited=invited, done=done_note
        )

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        *,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        **notes: Any,
    ) -> Template:
        event = await get_event(db_session, slug, with_children=False)
        try:
            await reviewers.call_of(db_session, slug)
        except DomainError:
            return render(request, "abstracts/review_console.html", event=event, call=False, status_code=status_code)
        progress = await review_reports.progress(db_session, slug)
        ranking = await review_reports.ranking(db_session, slug)
        no_topic = gettext("(no topic)")
        return render(
            request,
            "abstracts/review_console.html",
            status_code=status_code,
            event=event,
            call=True,
            progress=progress,
            reminders=await reminders_sent(db_session, [r.reviewer_id for r in progress.reviewers]),
            ranking=[(group_key(group), group) for group in ranking],
            reviewer_options=[(r.reviewer_id, f"{r.display_name} <{r.email}>") for r in progress.reviewers],
            group_options=[(group_key(g), f"{g.topic or no_topic} · {g.submission_type}") for g in ranking],
            outcomes=[(value, gettext(label)) for value, label in OUTCOMES.items()],
            locales=LOCALE_NAMES,
            errors=errors or {},
            values=values or {},
            **notes,
        )

    async def _refused(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, slug: str, exc: Exception, values: Any
    ) -> Template:
        await db_session.rollback()
        status = getattr(exc, "status_code", 422)
        return await self._page(request, db_session, slug, status_code=status, errors=form_errors(exc), values=values)

    @post("/assign")
    async def assign(self, slug: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Redirect:
        result = await review_assignments.auto_assign(db_session, slug)
        await db_session.commit()
        return redirect(f"/organizer/events/{slug}/review?assigned={result.added}&short={len(result.shortfalls)}")

    @post("/reviewers")
    async def invite(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        values = {
            "email": data.get("email", "").strip(),
            "display_name": data.get("display_name", ""),
            "locale": data.get("locale", "en"),
        }
        try:
            await reviewers.invite_reviewer(db_session, slug, read_form(values, ReviewerInvite))
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            return await self._refused(request, db_session, slug, exc, values)
        return redirect(f"/organizer/events/{slug}/review?invited={values['email']}")

    @post("/assignments")
    async def adjust(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """Add or remove one reviewer of one abstract (by its number); a conflict of interest is refused with
        its rule (the API's ``override`` is not offered here)."""
        values = {key: data.get(key, "") for key in ("abstract", "reviewer", "action")}
        try:
            _, call = await reviewers.call_of(db_session, slug)
            abstract_id = await _abstract_by_number(db_session, call.id, values["abstract"])
            reviewer_id = _reviewer_id(values["reviewer"])
            if values["action"] == "remove":
                assignment_id = await db_session.scalar(
                    select(ReviewAssignment.id).where(
                        ReviewAssignment.abstract_id == abstract_id, ReviewAssignment.reviewer_id == reviewer_id
                    )
                )
                if assignment_id is None:
                    raise NotFound(gettext("This reviewer is not assigned to this abstract."), field="reviewer")
                await review_assignments.unassign(db_session, slug, assignment_id)
            else:
                wanted = AssignmentCreate(abstract_id=abstract_id, reviewer_id=reviewer_id)
                await review_assignments.assign_by_hand(db_session, slug, wanted)
            await db_session.commit()
        except DomainError as exc:
            if isinstance(exc, Conflict) and exc.code == "conflict_of_interest":
                exc = Conflict(
                    gettext("Refused: %(why)s.") % {"why": exc.detail.split(":")[0]}, field="reviewer", code=exc.code
                )
            return await self._refused(request, db_session, slug, exc, values)
        done = "removed" if values["action"] == "remove" else "added"
        return redirect(f"/organizer/events/{slug}/review?done={done}")

    @post("/decide")
    async def decide_from_ranking(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """Decide the checked abstracts (or the top N of one ranked list when none is checked), then open the
        decision mails' preview for them: nothing is mailed until the organizer sends from there."""
        values = {key: data.get(key, "") for key in ("group", "outcome", "top")}
        try:
            ids = await self._picked(db_session, slug, data, values)
            if values["outcome"] not in OUTCOMES:
                raise InvalidInput(gettext("Choose a decision."), field="outcome")
            await decide(db_session, slug, ids, Outcome(values["outcome"]), actor=audit.actor_of(request.user))
            await db_session.commit()
        except DomainError as exc:
            return await self._refused(request, db_session, slug, exc, values)
        return redirect(f"/organizer/events/{slug}/abstracts/decision-mails?ids={','.join(map(str, ids))}")

    async def _picked(
        self, db_session: AsyncSession, slug: str, data: dict[str, str], values: dict[str, str]
    ) -> list[UUID]:
        """The checked abstracts of every list, in ranked order; none checked: the top N of the chosen list."""
        groups = {group_key(group): group for group in await review_reports.ranking(db_session, slug)}
        picked = [a.abstract_id for g in groups.values() for a in g.abstracts if data.get(f"pick-{a.abstract_id}")]
        if picked:
            return picked
        top = values["top"].strip()
        if not top:
            raise InvalidInput(gettext("Select abstracts, or enter how many of the best to select."), field="top")
        if not top.isdigit() or int(top) < 1:
            raise InvalidInput(gettext("Enter how many of the best to select, 1 or more."), field="top")
        group = groups.get(values["group"])
        if group is None:
            raise InvalidInput(gettext("Choose the ranked list to take the best from."), field="group")
        return [a.abstract_id for a in group.abstracts[: int(top)]]
