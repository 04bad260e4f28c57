"""What one statement line does, decided from the line and the order (or group invoice) its reference names:
a pure function, so every case is tested without a database and the service only carries the verdict out."""

from __future__ import annotations

import enum
from typing import Literal
from uuid import UUID

import msgspec

from registration.statements.lines import StatementLine


class Outcome(enum.StrEnum):
    EXACT = "exact"  # the amount still due: recorded, the order is paid
    PARTIAL = "partial"  # less than due: recorded, the order stays pending, listed for review
    OVER = "over"  # more than due: recorded, the order is paid, the excess listed for review or refund
    UNMATCHED = "unmatched"  # nothing recorded; listed for review (``Reason`` says why)
    DUPLICATE = "duplicate"  # the bank's transaction was imported before: ignored
    DEBIT = "debit"  # money going out: not a payment to us, ignored


class Reason(enum.StrEnum):
    NO_REFERENCE = "no_reference"
    UNKNOWN_REFERENCE = "unknown_reference"
    WRONG_CURRENCY = "wrong_currency"
    ORDER_CLOSED = "order_closed"  # expired or cancelled: the seats may be gone, a person decides
    ALREADY_PAID = "already_paid"
    NOT_BANK_TRANSFER = "not_bank_transfer"


REVIEW_OUTCOMES = (Outcome.PARTIAL, Outcome.OVER, Outcome.UNMATCHED)


class Payable(msgspec.Struct, frozen=True):
    """What a reference points at, as matching needs it: an order, or a group invoice for several.

    ``due`` is what is still owed (the total less what bank payments already brought)."""

    kind: Literal["order", "group"]
    id: UUID
    status: Literal["pending", "paid", "closed"]
    currency: str
    due: int


class Verdict(msgspec.Struct, frozen=True):
    outcome: Outcome
    reason: Reason | None = None
    excess: int = 0  # over-payments: how much more than due came


def classify(line: StatementLine, reference: str | None, payable: Payable | None) -> Verdict:
    """The verdict for one new (not duplicate) line, ``payable`` being what ``reference`` names, if anything."""
    if line.direction == "debit":
        return Verdict(Outcome.DEBIT)
    if reference is None:
        return Verdict(Outcome.UNMATCHED, Reason.NO_REFERENCE)
    if payable is None:
        return Verdict(Outcome.UNMATCHED, Reason.UNKNOWN_REFERENCE)
    if payable.currency != line.currency:
        return Verdict(Outcome.UNMATCHED, Reason.WRONG_CURRENCY)
    if payable.status == "closed":
        return Verdict(Outcome.UNMATCHED, Reason.ORDER_CLOSED)
    if payable.status == "paid" or payable.due <= 0:
        return Verdict(Outcome.UNMATCHED, Reason.ALREADY_PAID)
    if line.amount == payable.due:
        return Verdict(Outcome.EXACT)
    if line.amount < payable.due:
        return Verdict(Outcome.PARTIAL)
    return Verdict(Outcome.OVER, excess=line.amount - payable.due)
