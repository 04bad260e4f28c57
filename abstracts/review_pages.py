"""The reviewers' own pages (profile, assignments, one abstract read blind with the review form); the organizers'
console is ``abstracts.review_console``. They call the same services as the API; the reviewer's abstract comes
from ``BlindAbstractRead``, which has no author fields to show."""

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

from abstracts import review_work, reviewers
from abstracts.guards import requires_signed_in, signed_in_user
from abstracts.models import Topic
from abstracts.review_schemas import ReviewerProfileUpdate, ReviewWrite
from events.services import get_event
from podium.errors import DomainError
from podium.forms import FormData, read_form
from podium.i18n import gettext
from podium.pages import form_errors, redirect, render


class ReviewerPages(Controller):
    """A reviewer's pages for one event; another account sees 404 here, as in the API."""

    path = "/review/events/{slug:str}"
    include_in_schema = False
    guards = [requires_signed_in]

    @get("/")
    async def home(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        saved: FromQuery[int | None] = None,
    ) -> Template:
        return await self._home(request, db_session, slug, saved=bool(saved))

    async def _home(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        *,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        saved: bool = False,
    ) -> Template:
        user = signed_in_user(request)
        event, call, _ = await reviewers.reviewer_of(db_session, slug, user.id)
        profile = await reviewers.my_profile(db_session, slug, user.id)
        topics = (
            await db_session.scalars(select(Topic).where(Topic.call_id == call.id).order_by(Topic.position, Topic.name))
        ).all()
        if values is None:
            values = {
                "institutions": "\n".join(profile.institutions),
                "conflict_institutions": "\n".join(c.institution for c in profile.conflicts if c.institution),
                "conflict_emails": "\n".join(c.author_email for c in profile.conflicts if c.author_email),
                **{f"topic-{topic_id}": "on" for topic_id in profile.topic_ids},
            }
        return render(
            request,
            "abstracts/review_home.html",
            status_code=status_code,
            event=event,
            topics=topics,
            assignments=await review_work.my_assignments(db_session, slug, user.id),
            kept_abstract_conflicts=[c for c in profile.conflicts if c.abstract_id],
            values=values,
            errors=errors or {},
            saved=saved,
        )

    @post("/profile")
    async def save_profile(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        user = signed_in_user(request)
        lines = {name: [line.strip() for line in data.get(name, "").splitlines() if line.strip()] for name in data}
        try:
            kept = [c for c in (await reviewers.my_profile(db_session, slug, user.id)).conflicts if c.abstract_id]
            update = {
                "topic_ids": [key.removeprefix("topic-") for key in data if key.startswith("topic-")],
                "institutions": lines.get("institutions", []),
                "conflicts": [
                    *[{"abstract_id": str(c.abstract_id), "reason": c.reason} for c in kept],
                    *[{"institution": name} for name in lines.get("conflict_institutions", [])],
                    *[{"author_email": email} for email in lines.get("conflict_emails", [])],
                ],
            }
            await reviewers.update_my_profile(db_session, slug, user.id, read_form(update, ReviewerProfileUpdate))
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            errors = {key.split("[")[0].split(".")[0]: message for key, message in form_errors(exc).items()}
            status = getattr(exc, "status_code", 422)
            return await self._home(request, db_session, slug, status_code=status, errors=errors, values=dict(data))
        return redirect(f"/review/events/{slug}?saved=1")

    @get("/abstracts/{abstract_id:uuid}")
    async def abstract(
        self,
        slug: FromPath[str],
        abstract_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        saved: FromQuery[str | None] = None,
    ) -> Template:
        return await self._abstract(request, db_session, slug, abstract_id, saved=saved or "")

    async def _abstract(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        abstract_id: UUID,
        *,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        saved: str = "",
    ) -> Template:
        user = signed_in_user(request)
        event = await get_event(db_session, slug, with_children=False)
        blind = await review_work.blind_abstract(db_session, slug, user.id, abstract_id)
        if values is None:
            mine = blind.my_review
            values = {
                **{f"scores.{key}": str(score) for key, score in (mine.scores if mine else {}).items()},
                "comments_to_authors": mine.comments_to_authors if mine else "",
                "comments_to_committee": mine.comments_to_committee if mine else "",
            }
        return render(
            request,
            "abstracts/review_abstract.html",
            status_code=status_code,
            event=event,
            abstract=blind,
            values=values,
            errors=errors or {},
            saved=saved,
        )

    @post("/abstracts/{abstract_id:uuid}")
    async def write_review(
        self,
        slug: FromPath[str],
        abstract_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        user = signed_in_user(request)
        submit = data.get("action") == "submit"
        scores = {key.removeprefix("scores."): value for key, value in data.items() if key.startswith("scores.")}
        not_numbers = {
            f"scores.{k}": gettext("Enter a whole number.") for k, v in scores.items() if v.strip() and not _is_int(v)
        }
        if not_numbers:
            return await self._abstract(
                request, db_session, slug, abstract_id, status_code=422, errors=not_numbers, values=dict(data)
            )
        body = {
            "scores": {key: int(value) for key, value in scores.items() if value.strip()},
            "comments_to_authors": data.get("comments_to_authors", ""),
            "comments_to_committee": data.get("comments_to_committee", ""),
            "submit": submit,
        }
        try:
            await review_work.write_review(db_session, slug, user.id, abstract_id, read_form(body, ReviewWrite))
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            status = getattr(exc, "status_code", 422)
            return await self._abstract(
                request, db_session, slug, abstract_id, status_code=status, errors=form_errors(exc), values=dict(data)
            )
        return redirect(f"/review/events/{slug}/abstracts/{abstract_id}?saved={'submitted' if submit else 'draft'}")


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True
