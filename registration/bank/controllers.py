"""HTTP for bank transfers: organizers set an event's bank details and mark payments received; the buyer (by the
order's secret link) chooses to pay by transfer and reads the instructions."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import editable_event, get_event
from podium.auth.guards import requires_organizer
from podium.errors import NotFound, problem_responses
from podium.i18n import N_
from registration.bank import choosing, invoices, payments, settings
from registration.bank.schemas import (
    BankPaymentIn,
    BankPaymentRead,
    BankTransferRead,
    BankTransferSettingsIn,
    BankTransferSettingsRead,
)
from registration.bank.view import bank_transfer_read
from registration.links.access import actor, caller, order_link
from registration.links.rule import ORGANIZERS, SECRET_ONLY, open_order
from registration.models import Order
from registration.orders.confirmation import HoldExpired

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=150,
        description="Send the same key when retrying (or from two screens): the payment is recorded once.",
    ),
]


class BankTransferSettingsController(Controller):
    path = "/api/events/{event:str}/bank-transfer"
    tags = ["bank transfer: organizer"]
    guards = [requires_organizer]
    security = [{"bearer": []}]

    @get(operation_id="getBankTransferSettings", responses=problem_responses(401, 403, 404))
    async def get_settings(
        self, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> BankTransferSettingsRead:
        """The event's bank details and limits (disabled, with defaults, until saved)."""
        found = await get_event(db_session, event, with_children=False)
        return settings.settings_read(await settings.settings_for(db_session, found))

    @put(operation_id="setBankTransferSettings", responses=problem_responses(401, 403, 404, 409, 422))
    async def set_settings(
        self, event: FromPath[str], data: JSONBody[BankTransferSettingsIn], db_session: NamedDependency[AsyncSession]
    ) -> BankTransferSettingsRead:
        """Replace the settings: bank details (IBAN checked by its digits, BIC by its form), days until due, and
        how far a hold may be stretched (days before the event, days from ordering)."""
        found = await editable_event(db_session, event)
        body = await settings.replace_settings(db_session, found, data)
        await db_session.commit()
        return body


class BankTransferController(Controller):
    path = "/api/orders/{order_id:uuid}"
    tags = ["bank transfer"]

    @post(
        "/bank-transfer",
        operation_id="chooseBankTransfer",
        status_code=HTTP_200_OK,
        security=[],
        responses=problem_responses(404, 409, 422),
        dependencies={"order": order_link(SECRET_ONLY, for_update=True)},
    )
    async def choose(
        self, order: NamedDependency[Order], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> BankTransferRead:
        """Pay this pending order by bank transfer: it gets its payment reference and due date, and its seats are
        held until then (within the organizer's limits). Choosing again gives the same reference; 409 for an
        order already paid, expired or cancelled, or an event that does not take transfers."""
        try:
            chosen = await choosing.choose_bank_transfer(db_session, order, actor=actor(request, order))
        except HoldExpired:
            await db_session.commit()
            raise
        await db_session.commit()
        return await bank_transfer_read(db_session, chosen)

    @get(
        "/bank-transfer",
        operation_id="getBankTransfer",
        security=[{}, {"bearer": []}],
        responses=problem_responses(404, 422),
        dependencies={"order": order_link(ORGANIZERS)},
    )
    async def read(self, order: NamedDependency[Order], db_session: NamedDependency[AsyncSession]) -> BankTransferRead:
        """How to pay it (bank details, reference, due date) and what has arrived; 404 until transfer is chosen."""
        if not order.payment_reference:
            raise NotFound(N_("this order is not paid by bank transfer"), field="order_id")
        return await bank_transfer_read(db_session, order)

    @get(
        "/bank-transfer/invoice.pdf",
        operation_id="getBankTransferInvoice",
        security=[{}, {"bearer": []}],
        media_type="application/pdf",
        responses=problem_responses(404, 409, 422),
        dependencies={"order": order_link(ORGANIZERS)},
    )
    async def invoice(
        self, order: NamedDependency[Order], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The invoice to pay by transfer (seller, buyer, lines, total, bank details, reference, due date), in the
        order's language; 409 for an order not paid by bank transfer."""
        content, filename = await invoices.invoice_pdf(db_session, order)
        return Response(
            content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )

    @post(
        "/bank-payments",
        operation_id="recordBankPayment",
        guards=[requires_organizer],
        security=[{"bearer": []}],
        responses=problem_responses(401, 403, 404, 422),
    )
    async def record(
        self,
        order_id: FromPath[UUID],
        data: JSONBody[BankPaymentIn],
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        idempotency_key: IdempotencyKey = None,
    ) -> BankPaymentRead:
        """Mark money received by transfer (organizers): the full amount pays the order (receipt, mail, badges),
        less leaves it pending and partly paid, more pays it and shows the excess to refund. With the same
        ``Idempotency-Key`` it is recorded once."""
        order = await open_order(
            db_session,
            order_id,
            secret=None,
            secret_key=state.settings.secret_key,
            user=caller(request),
            admits=ORGANIZERS,
        )
        result = await payments.record_bank_payment(
            db_session,
            order_id=order.id,
            amount=data.amount,
            currency=data.currency or order.currency,
            booked_on=data.booked_on,
            source="manual",
            source_line_id=idempotency_key,
            actor=actor(request, order),
            note=data.note,
        )
        await db_session.commit()
        assert result.credit_id is not None
        fresh = await db_session.get(Order, order.id, populate_existing=True)
        assert fresh is not None
        body = await bank_transfer_read(db_session, fresh)
        return BankPaymentRead(
            outcome=result.outcome.value, duplicate=result.duplicate, credit_id=result.credit_id, order=body
        )
