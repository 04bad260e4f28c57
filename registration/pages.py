"""The buyer's pages: choose a category, add-ons and answers for each attendee, place the order, then
the order page (its secret link) with payment. Built on the same services as the JSON API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import PageBrand, page_brand
from events.models import Event
from events.services import get_event
from podium import rate_limits
from podium.client_address import client_address
from podium.errors import DomainError, FieldError, InvalidInput
from podium.formatting import format_money
from podium.forms import field_errors, read_form
from podium.pages import form_errors, redirect, render
from podium.settings import Settings
from registration import (
    billing,
    cancellations,
    catalog,
    documents,
    transfers,
    verification_documents,
    waitlist,
)
from registration.controllers import place_and_commit
from registration.document_schemas import BillingIn
from registration.link_rule import open_order, open_waitlist_entry
from registration.links import order_secret
from registration.models import Order
from registration.orders import confirmation
from registration.orders.limits import waitlist_limits
from registration.orders.standing import order_standing
from registration.orders.validation import answer_errors
from registration.orders.view import order_read
from registration.payments import provider_for
from registration.receipts import document_title
from registration.schemas import OrderCreate, TransferIn, WaitlistJoin

FormData = URLEncodedBody[dict[str, str]]


@dataclass
class DocumentForm:
    document: UploadFile | None = None
    _csrf_token: str = ""


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


async def _brand(db_session: AsyncSession, slug: str) -> PageBrand:
    """The brand for a page built from the public catalog (which carries the event's slug, not the event)."""
    return page_brand(await get_event(db_session, slug, published_only=True, with_children=False))


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
    ) -> Template:
        """``claim``/``token`` come from a waitlist offer: the order then uses the seat the offer holds."""
        view = await catalog.public_catalog(db_session, slug)
        values = {"waitlist_entry": claim, "waitlist_token": token} if claim and token else {}
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
            page_brand=await _brand(db_session, view.event),
            catalog=view,
            people=people,
            values=values,
            errors=errors,
            summary=error_summary(errors, form_fields(people, view)),
            focus=focus,
            max_people=MAX_PEOPLE,
        )


class WaitlistPages(Controller):
    """Join the queue for a sold-out item, see your place, and claim an offer by registering."""

    include_in_schema = False

    @get("/events/{slug:str}/waitlist")
    async def form(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        category: FromQuery[str | None] = None,
        add_on: FromQuery[str | None] = None,
    ) -> Template:
        view = await catalog.public_catalog(db_session, slug)
        return render(
            request,
            "registration/waitlist.html",
            page_brand=await _brand(db_session, view.event),
            catalog=view,
            category=category,
            add_on=add_on,
            values={},
            error=None,
        )

    @post("/events/{slug:str}/waitlist")
    async def join(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        data: FormData,
        state: State,
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        settings: Settings = state.settings
        body = {k: data[k].strip() for k in ("email", "name", "category", "add_on") if data.get(k, "").strip()}
        try:
            await rate_limits.hit(db_session, waitlist_limits(settings, client_address(request), body.get("email", "")))
            entry, _ = await waitlist.join(
                db_session,
                event_slug=slug,
                data=read_form(body, WaitlistJoin),
                secret_key=settings.secret_key,
                base_url=settings.base_url,
            )
        except (msgspec.ValidationError, DomainError) as exc:
            view = await catalog.public_catalog(db_session, slug)
            message = "; ".join(form_errors(exc).values())
            page = render(
                request,
                "registration/waitlist.html",
                status_code=getattr(exc, "status_code", 422),
                page_brand=await _brand(db_session, view.event),
                catalog=view,
                category=data.get("category"),
                add_on=data.get("add_on"),
                values=data,
                error=message,
            )
            page.headers.update(getattr(exc, "headers", {}))  # Retry-After of a 429
            return page
        await db_session.commit()
        return redirect(f"/events/{slug}/waitlist/{entry.id}?token={entry.token}")

    @get("/events/{slug:str}/waitlist/{entry_id:uuid}")
    async def entry(
        self,
        slug: FromPath[str],
        entry_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        token: FromQuery[str | None] = None,
    ) -> Template:
        settings: Settings = state.settings
        found = await open_waitlist_entry(db_session, entry_id, token=token, secret_key=settings.secret_key)
        view = await waitlist.entry_read(db_session, found, secret_key=settings.secret_key, base_url=settings.base_url)
        event = await db_session.get(Event, found.event_id)  # the offer ends on the event's clock
        assert event is not None  # the entry's foreign key
        return render(
            request,
            "registration/waitlist_entry.html",
            page_brand=page_brand(event),
            entry=view,
            slug=slug,
            event=event,
        )


class OrderPages(Controller):
    include_in_schema = False

    @get("/orders/{order_id:uuid}")
    async def order(
        self,
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template:
        settings: Settings = state.settings
        found = await open_order(db_session, order_id, secret=secret, secret_key=settings.secret_key)
        # A receipt still waiting for its number (PostgreSQL numbers after the payment's commit, in a job) is
        # numbered now, as a download would: the buyer who opens the page gets its link, not "being issued".
        await documents.ensure_documents_issued(db_session, found.id)
        await db_session.commit()
        return await self._page(request, db_session, settings, found, None)

    @post("/orders/{order_id:uuid}/pay")
    async def pay(
        self,
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """TEST MODE: the offline provider's pay button."""
        settings: Settings = state.settings
        try:
            await confirmation.pay_offline(
                db_session,
                order_id=order_id,
                secret=secret,
                secret_key=settings.secret_key,
                production=settings.is_production,
            )
        except confirmation.HoldExpired as exc:
            await db_session.commit()
            return await self._refused_payment(request, db_session, settings, order_id, secret, exc)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            await db_session.rollback()
            return await self._refused_payment(request, db_session, settings, order_id, secret, exc)
        await db_session.commit()
        return redirect(f"/orders/{order_id}?secret={secret}")

    async def _refused_payment(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        settings: Settings,
        order_id: UUID,
        secret: str | None,
        exc: DomainError,
    ) -> Template:
        """The order page again, saying why the payment was refused."""
        found = await open_order(db_session, order_id, secret=secret, secret_key=settings.secret_key)
        return await self._page(request, db_session, settings, found, exc.detail, status_code=exc.status_code)

    @post("/orders/{order_id:uuid}/registrations/{registration_id:uuid}/cancel")
    async def cancel(
        self,
        order_id: FromPath[UUID],
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The buyer cancels one attendee; the fee schedule decides the refund."""
        settings: Settings = state.settings
        found = await open_order(db_session, order_id, secret=secret, secret_key=settings.secret_key)
        try:
            _, fee_pct, _, refund = await cancellations.cancel(
                db_session, found, registration_ids=[registration_id], actor=f"buyer:{found.buyer_email}"
            )
        except DomainError as exc:
            await db_session.rollback()
            return await self._page(request, db_session, settings, found, exc.detail, status_code=exc.status_code)
        await db_session.commit()
        found = await open_order(db_session, order_id, secret=secret, secret_key=settings.secret_key)
        refunded = refund.amount if refund else 0
        notice = f"Cancelled ({fee_pct} % fee). Refund: {format_money(refunded, found.currency)}."
        return await self._page(request, db_session, settings, found, None, notice=notice)

    @post("/orders/{order_id:uuid}/registrations/{registration_id:uuid}/transfer")
    async def transfer(
        self,
        order_id: FromPath[UUID],
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The buyer hands a registration to a colleague."""
        settings: Settings = state.settings
        found = await open_order(db_session, order_id, secret=secret, secret_key=settings.secret_key)
        fields = ("email", "first_name", "last_name", "country", "affiliation", "member_number", "access_code")
        body = {k: data.get(k, "").strip() for k in fields if data.get(k, "").strip()}
        if "country" in body:
            body["country"] = body["country"].upper()
        try:
            await transfers.transfer(
                db_session,
                found,
                registration_id,
                read_form(body, TransferIn),
                actor=f"buyer:{found.buyer_email}",
            )
        except (msgspec.ValidationError, DomainError) as exc:
            await db_session.rollback()
            message = " ".join(form_errors(exc).values())
            return await self._page(request, db_session, settings, found, message, status_code=422)
        await db_session.commit()
        return redirect(f"/orders/{order_id}?secret={secret}")

    @post(
        "/orders/{order_id:uuid}/registrations/{registration_id:uuid}/documents",
        request_max_body_size=verification_documents.UPLOAD_BODY_LIMIT,
    )
    async def upload_document(
        self,
        order_id: FromPath[UUID],
        registration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: MultipartBody[DocumentForm],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The buyer adds proof of eligibility for an attendee awaiting verification."""
        settings: Settings = state.settings
        found = await self._order(db_session, settings, order_id, secret)
        try:
            if data.document is None:
                raise InvalidInput("choose a file to upload", field="document")
            content = await data.document.read(verification_documents.MAX_BYTES + 1)
            saved = await verification_documents.upload(
                db_session,
                found,
                registration_id,
                data.document.filename or "",
                content,
                actor=f"buyer:{found.buyer_email}",
            )
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            await db_session.rollback()
            found = await self._order(db_session, settings, order_id, secret)
            return await self._page(request, db_session, settings, found, exc.detail, status_code=exc.status_code)
        await db_session.commit()
        found = await self._order(db_session, settings, order_id, secret)
        notice = f"Uploaded {saved.filename}: the organizers will review it."
        return await self._page(request, db_session, settings, found, None, notice=notice)

    @post("/orders/{order_id:uuid}/billing")
    async def set_billing(
        self,
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        data: FormData,
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The buyer's billing details for the receipt (``PUT /api/orders/{id}/billing``'s service)."""
        settings: Settings = state.settings
        found = await self._order(db_session, settings, order_id, secret)
        fields = ("organization", "address", "country", "tax_id", "po_number")
        body = {k: data.get(k, "").strip().replace("\r\n", "\n") for k in fields}
        body["country"] = body["country"].upper()
        try:
            await billing.set_billing(db_session, found, read_form(body, BillingIn), actor=f"buyer:{found.buyer_email}")
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.status_code == 404:
                raise
            await db_session.rollback()
            found = await self._order(db_session, settings, order_id, secret)
            return await self._page(
                request,
                db_session,
                settings,
                found,
                None,
                status_code=422,
                billing_values=body,
                billing_errors=form_errors(exc),
            )
        return redirect(f"/orders/{order_id}?secret={secret}")

    async def _order(self, db_session: AsyncSession, settings: Settings, order_id: UUID, secret: str | None) -> Order:
        return await open_order(db_session, order_id, secret=secret, secret_key=settings.secret_key)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        settings: Settings,
        order: Order,
        error: str | None,
        *,
        status_code: int = 200,
        notice: str | None = None,
        billing_values: dict[str, str] | None = None,
        billing_errors: dict[str, str] | None = None,
    ) -> Template:
        view = await order_read(
            db_session,
            order,
            secret_key=settings.secret_key,
            provider=provider_for(settings),
            base_url=settings.base_url,
        )
        standing = await order_standing(db_session, order, payment=view.payment)
        event = await db_session.get(Event, order.event_id)  # named on the page; its zone tells the hold's end
        assert event is not None  # the order's foreign key
        return render(
            request,
            "registration/order.html",
            status_code=status_code,
            page_brand=page_brand(event),
            order=view,
            event=event,
            standing=standing,
            error=error,
            notice=notice,
            stripe_js_url=settings.stripe_js_url,
            documents=[
                {
                    "title": f"{document_title(d.kind)} {number}" if number else document_title(d.kind),
                    "total": format_money(d.total, d.currency),
                    "url": f"/api/orders/{order.id}/documents/{d.id}/pdf?secret={view.secret}" if number else None,
                }
                for d in await documents.documents_of(db_session, order.id)
                for number in [documents.document_number(view.event, d)]
            ],
            billing=billing_values or msgspec.to_builtins(await billing.get_billing(db_session, order)),
            billing_errors=billing_errors or {},
        )
