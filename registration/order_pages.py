"""The buyer's order page (by its secret link): pay, cancel, transfer, upload verification documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import page_brand
from events.models import Event
from podium.errors import DomainError, InvalidInput
from podium.formatting import format_money
from podium.forms import FormData, read_form
from podium.i18n import N_
from podium.pages import form_errors, redirect, render
from podium.settings import Settings
from registration.bank.choosing import choose_bank_transfer, offers_bank_transfer
from registration.bank.view import bank_transfer_read
from registration.cancellations import services as cancellations
from registration.cancellations import transfers
from registration.documents import billing
from registration.documents import services as documents
from registration.documents.receipts import document_title
from registration.documents.schemas import BillingIn
from registration.links.rule import open_order
from registration.models import Order
from registration.orders import confirmation
from registration.orders.standing import order_standing
from registration.orders.view import order_read
from registration.payments.services import provider_for
from registration.schemas import TransferIn
from registration.verification import uploads as verification_documents


@dataclass
class DocumentForm:
    document: UploadFile | None = None
    _csrf_token: str = ""


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

    @post("/orders/{order_id:uuid}/bank-transfer")
    async def bank_transfer(
        self,
        order_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        secret: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The buyer chooses to pay by bank transfer: the page then shows the reference and bank details."""
        settings: Settings = state.settings
        found = await open_order(db_session, order_id, secret=secret, secret_key=settings.secret_key, for_update=True)
        try:
            await choose_bank_transfer(db_session, found, actor=f"buyer:{found.buyer_email}")
        except confirmation.HoldExpired as exc:
            await db_session.commit()
            return await self._refused_payment(request, db_session, settings, order_id, secret, exc)
        except DomainError as exc:
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
                raise InvalidInput(N_("choose a file to upload"), field="document")
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
            bank=await bank_transfer_read(db_session, order) if order.payment_reference else None,
            bank_offered=await offers_bank_transfer(db_session, order),
            billing_errors=billing_errors or {},
        )
