"""Bank transfer on the wire: the event's settings (organizers), the buyer's payment instructions, and a payment
an organizer marks received."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from podium.schema import Struct, line, paragraph


class BankTransferSettingsIn(Struct):
    """The whole settings, as the form sends them; IBAN and BIC are checked (422 naming the field)."""

    enabled: bool
    beneficiary: Annotated[str, line(140, 0)] = ""
    iban: Annotated[str, line(50, 0)] = ""
    bic: Annotated[str, line(20, 0)] = ""
    bank_name: Annotated[str, line(140, 0)] = ""
    bank_address: Annotated[str, paragraph(300)] = ""
    instructions: Annotated[str, paragraph(2000)] = ""
    due_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 14
    latest_days_before_event: Annotated[int, msgspec.Meta(ge=0, le=365)] = 7
    max_days_from_order: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30


class BankTransferSettingsRead(Struct):
    enabled: bool
    beneficiary: str
    iban: str
    bic: str
    bank_name: str
    bank_address: str
    instructions: str
    due_days: int
    latest_days_before_event: int
    max_days_from_order: int


class BankDetails(Struct):
    """Where the buyer sends the money."""

    beneficiary: str
    iban: str
    bic: str
    bank_name: str
    bank_address: str
    instructions: str


class BankTransferRead(Struct):
    """What an order paid by bank transfer stands at: what to pay, where, with which reference, by when, and
    what has arrived (``received`` of ``total``; ``excess`` is over-paid money for the organizer to refund)."""

    order_id: UUID
    status: Literal["pending", "paid", "expired", "cancelled"]
    reference: str  # compact, as a statement carries it
    reference_printed: str  # in groups of four, as the buyer copies it
    due_at: dt.datetime | None
    currency: str
    total: int
    received: int
    amount_due: int
    excess: int
    bank: BankDetails


class BankPaymentIn(Struct):
    """A payment an organizer saw on the account. ``currency`` defaults to the order's."""

    amount: Annotated[int, msgspec.Meta(gt=0, le=100_000_000)]
    booked_on: dt.date
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")] | None = None
    note: Annotated[str, paragraph(1000)] = ""


class BankPaymentRead(Struct):
    """What recording it did (``registration.bank.payments.Outcome``) and where the order stands now."""

    outcome: str
    duplicate: bool
    credit_id: UUID
    order: BankTransferRead
