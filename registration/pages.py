"""The registration page: choose a category, add-ons and answers for each attendee, and place the order (the
order page it leads to is ``order_pages``; the waitlist's, ``waitlist_pages``). Built on the same services as
the JSON API."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from podium.client_address import client_address
from podium.errors import DomainError, FieldError, InvalidInput
from podium.forms import FormData, field_errors
from podium.pages import form_errors, redirect, render
from podium.settings import Settings
from registration import catalog
from registration.catalog.public import event_brand
from registration.controllers import place_and_commit
from registration.links.tokens import order_secret
from registration.orders.validation import answer_errors
from registration.schemas import OrderCreate

MAX_PEOPLE = 10


def order_payload(form: dict[str, str], people: int, questions: list[Any], add_on_codes: list[str]) -> dict[str, Any]:
    """Form fields (``a0-email``, ``a0-addon-<code>``, ``a0-q-<code>`` …) → the API's order body."""
    attendees = []
    for i in range(people):
        prefix = f"a{i}-"
        answers: dict[str, Any] = {}
        for question in questions:
            raw = form.get(f"{prefix}q-{question.code}", "")
            if question.kind == "boolean":
                if raw:
                    answers[question.code] = raw == "yes"
            elif raw.strip():
                answers[question.code] = raw
        attendee: dict[str, Any] = {
            "email": form.get(f"{prefix}email", "").strip(),
            "first_name": form.get(f"{prefix}first_name", ""),
            "last_name": form.get(f"{prefix}last_name", ""),
            "country": form.get(f"{prefix}country", "").strip().upper(),
            "category": form.get(f"{prefix}category", ""),
            "affiliation": form.get(f"{prefix}affiliation", ""),
            "add_ons": [code for code in add_on_codes if form.get(f"{prefix}addon-{code}")],
            "answers": answers,
        }
        for optional in ("member_number", "verification_note", "access_code"):
            if form.get(f"{prefix}{optional}", "").strip():
                attendee[optional] = form[f"{prefix}{optional}"].strip()
        attendees.append(attendee)
    body: dict[str, Any] = {
        "buyer_name": form.get("buyer_name", ""),
        "buyer_email": form.get("buyer_email", "").strip(),
        "attendees": attendees,
    }
    if form.get("waitlist_entry") and form.get("waitlist_token"):
        body["waitlist_claim"] = {"entry_id": form["waitlist_entry"], "token": form["waitlist_token"]}
    if form.get("promo_code", "").strip():
        body["promo_code"] = form["promo_code"].strip()
    return body


_FIELD_HEAD = re.compile(r"[.\[]")


def _field_for_form(field: str) -> str:
    """``attendees[0].email`` → ``a0-email``, ``attendees[0].answers.diet`` → ``a0-q-diet``, so the message
    lands next to its input (and only that question is marked)."""
    if field.startswith("attendees[") and "]." in field:
        index, rest = field[len("attendees[") :].split("].", 1)
        if rest.startswith("answers."):
            return f"a{index}-q-{rest.split('.', 1)[1]}"
        return f"a{index}-{_FIELD_HEAD.split(rest)[0]}"
    return field


def form_fields(people: int, view: Any) -> list[str]:
    """The registration form's field names in page order: the error summary lists mistakes as the page does."""
    names: list[str] = []
    for i in range(people):
        p = f"a{i}-"
        names += [f"{p}{n}" for n in ("category", "first_name", "last_name", "email", "affiliation", "country")]
        names += [f"{p}{n}" for n in ("member_number", "verification_note", "access_code", "add_ons")]
        names += [f"{p}q-{q.code}" for q in view.questions]
    return [*names, "buyer_name", "buyer_email", "promo_code"]


def form_mistakes(body: dict[str, Any], questions: list[Any]) -> list[FieldError]:
    """Everything the form alone shows is wrong, all at once: each field against ``OrderCreate`` and each
    attendee's answers against the questions (the same rule the service applies)."""
    mistakes = field_errors(body, OrderCreate)
    for i, attendee in enumerate(body["attendees"]):
        mistakes += answer_errors(f"attendees[{i}]", attendee["answers"], questions)
    return mistakes


def error_summary(errors: dict[str, str], fields: list[str]) -> list[dict[str, str | None]]:
    """The summary at the top of a form: page order, each linking to its field (general ones link nowhere)."""
    order = {name: i for i, name in enumerate(fields)}
    keys = sorted(errors, key=lambda k: order.get(k, -1))
    return [{"href": f"#f-{k}" if k in order else None, "message": errors[k]} for k in keys]


class RegistrationPages(Controller):
    include_in_schema = False

    @get("/events/{slug:str}/register")
    async def form(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        people: FromQuery[int] = 1,
        claim: FromQuery[str | None] = None,
        token: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        code: FromQuery[str | None] = None,
    ) -> Template:
        """``claim``/``token`` come from a waitlist offer: the order then uses the seat the offer holds.
        ``category`` (a category's code) and its access ``code`` come from a link that picks them for the first
        attendee (a confirmed presenter's, say); they only fill the form, which checks them as ever."""
        view = await catalog.public_catalog(db_session, slug)
        values = {"waitlist_entry": claim, "waitlist_token": token} if claim and token else {}
        if category:
            values["a0-category"] = category[:64]
        if code:
            values["a0-access_code"] = code[:64]
        return await self._render(request, db_session, view, max(1, min(people, MAX_PEOPLE)), values, {})

    @post("/events/{slug:str}/register")
    async def submit(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        settings: Settings = state.settings
        view = await catalog.public_catalog(db_session, slug)
        people_field = data.get("people", "1")
        people = max(1, min(int(people_field), MAX_PEOPLE)) if people_field.isdigit() else 1
        if data.get("add_person"):  # "Register someone else": the same form, one more attendee, nothing lost
            added = min(people + 1, MAX_PEOPLE)
            focus = f"a{added - 1}-" if added > people else None
            return await self._render(request, db_session, view, added, data, {}, focus=focus)
        body = order_payload(data, people, view.questions, [a.code for a in view.add_ons])
        try:
            mistakes = form_mistakes(body, view.questions)
            if mistakes:
                raise InvalidInput(mistakes[0].message, field=mistakes[0].field, errors=mistakes)
            order_data = msgspec.convert(body, OrderCreate)
            placed = await place_and_commit(
                db_session, settings, order_data, event_slug=slug, client=client_address(request)
            )
        except (msgspec.ValidationError, DomainError) as exc:
            errors = {_field_for_form(k): v for k, v in form_errors(exc).items()}
            view = await catalog.public_catalog(db_session, slug)
            status = getattr(exc, "status_code", 422)
            page = await self._render(request, db_session, view, people, data, errors, status_code=status)
            page.headers.update(getattr(exc, "headers", {}))  # Retry-After of a 429
            return page
        order = placed.order
        secret = order_secret(settings.secret_key, order.id, order.secret_version)
        return redirect(f"/orders/{order.id}?secret={secret}")

    async def _render(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        view: Any,
        people: int,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        status_code: int = 200,
        focus: str | None = None,
    ) -> Template:
        """``focus``: the attendee block (``a2-``) whose first field gets focus, after "add someone else"."""
        return render(
            request,
            "registration/register.html",
            status_code=status_code,
            page_brand=await event_brand(db_session, view.event),
            catalog=view,
            people=people,
            values=values,
            errors=errors,
            summary=error_summary(errors, form_fields(people, view)),
            focus=focus,
            max_people=MAX_PEOPLE,
        )
