"""The "how to pay" mail: written once, in the transaction that switches an order to bank transfer, with the
amount, the reference, the bank details, the due date, the order's link and the invoice attached (drawn when the
mail is sent, ``invoice_attachments``). Its dedupe key is the order's, so a replayed or racing choice (the second
finds the order already switched, under the order's row lock) writes no second one; it is superseded if the order
is no longer waiting for that transfer when it goes out (paid meanwhile, or by card after all)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.formatting import in_fours
from podium.jobs.outbox_drain import AttachmentError, AttachmentRenderer, Draw, StillTrue
from podium.mail import Attachment
from podium.outbox import enqueue
from podium.settings import Settings
from registration.bank import PROVIDER
from registration.bank.invoices import has_invoice, invoice_drawing
from registration.bank.settings import bank_details
from registration.mail.context import event_context, order_link
from registration.models import BankTransferSettings, Order, OrderStatus

TEMPLATE = "bank_transfer_chosen"
ATTACHMENT = "bank_invoice"


async def enqueue_how_to_pay(db_session: AsyncSession, order: Order, event: Event, rules: BankTransferSettings) -> None:
    """Called by ``choosing.choose_bank_transfer`` once the order is switched; the caller commits."""
    assert order.payment_reference is not None and order.payment_due_at is not None
    details = bank_details(rules)
    await enqueue(
        db_session,
        dedupe_key=f"bank-transfer-chosen:{order.id}",
        to=order.buyer_email,
        template=TEMPLATE,
        context={
            "event": event_context(event),
            "name": order.buyer_name,
            "locale": order.locale,
            "time_zone": order.time_zone,
            "order_id": order.id,
            "reference": in_fours(order.payment_reference),
            "amount": order.total,
            "currency": order.currency,
            "due_at": order.payment_due_at,
            "bank": {**msgspec.structs.asdict(details), "iban": in_fours(details.iban)},
            "order_link": order_link(order),
        },
        attachments=[f"{ATTACHMENT}:{order.id}"],
    )


async def _still_waiting(db_session: AsyncSession, contexts: Sequence[Mapping[str, Any]]) -> list[bool]:
    """True while the order is pending and still to be paid by bank transfer."""
    ids = {UUID(str(context["order_id"])) for context in contexts}
    rows = await db_session.execute(
        select(Order.id).where(
            Order.id.in_(ids), Order.status == OrderStatus.PENDING, Order.payment_provider == PROVIDER
        )
    )
    waiting = set(rows.scalars().all())
    return [UUID(str(context["order_id"])) in waiting for context in contexts]


async def invoice_attachments(
    db_session: AsyncSession, _settings: Settings, arguments: Sequence[str]
) -> dict[str, Draw | Exception]:
    """Each order's invoice, read now (in the order's language) and drawn by the sender off the event loop."""
    answers: dict[str, Draw | Exception] = {}
    wanted: dict[str, UUID] = {}
    for argument in arguments:
        try:
            wanted[argument] = UUID(argument)
        except ValueError:
            answers[argument] = AttachmentError(f"no order {argument}")
    orders = {o.id: o for o in (await db_session.scalars(select(Order).where(Order.id.in_(wanted.values())))).all()}
    for argument, order_id in wanted.items():
        order = orders.get(order_id)
        if order is None or not has_invoice(order):
            answers[argument] = AttachmentError(f"order {argument} is not paid by bank transfer")
            continue
        draw, filename = await invoice_drawing(db_session, order)
        answers[argument] = partial(_attach, draw, filename)
    return answers


def _attach(draw: Any, filename: str) -> Attachment:
    return Attachment(draw(), filename)


# Installed into the outbox's registries by the composition root (``podium.main.mail_wiring``).
STILL_TRUE_CHECKS: Mapping[str, StillTrue] = {TEMPLATE: _still_waiting}
MAIL_ATTACHMENTS: Mapping[str, AttachmentRenderer] = {ATTACHMENT: invoice_attachments}
