"""The verdict for one statement line: every outcome from the line and what its reference names."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import uuid4

import pytest

from registration.statements.lines import Direction, StatementLine
from registration.statements.matching import Outcome, Payable, Reason, Verdict, classify

REFERENCE = "RF18ABCDEFGHJKLM"


def line(amount: int, *, currency: str = "EUR", direction: Direction = "credit") -> StatementLine:
    return StatementLine(
        position=2,
        bank_transaction_id="T-1",
        booked_on=dt.date(2026, 11, 2),
        amount=amount,
        currency=currency,
        direction=direction,
        remittance=REFERENCE,
        counterparty="Ana",
    )


def order(due: int = 52000, status: Literal["pending", "paid", "closed"] = "pending") -> Payable:
    return Payable(kind="order", id=uuid4(), status=status, currency="EUR", due=due)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (52000, Verdict(Outcome.EXACT)),
        (20000, Verdict(Outcome.PARTIAL)),
        (52050, Verdict(Outcome.OVER, excess=50)),
    ],
)
def test_classify_by_amount_due(amount: int, expected: Verdict) -> None:
    assert classify(line(amount), REFERENCE, order()) == expected


def test_classify_completes_a_partly_paid_order() -> None:
    assert classify(line(32000), REFERENCE, order(due=32000)) == Verdict(Outcome.EXACT)


def test_classify_debits_are_ignored() -> None:
    assert classify(line(52000, direction="debit"), REFERENCE, order()) == Verdict(Outcome.DEBIT)


@pytest.mark.parametrize(
    ("reference", "payable", "currency", "reason"),
    [
        (None, None, "EUR", Reason.NO_REFERENCE),
        (REFERENCE, None, "EUR", Reason.UNKNOWN_REFERENCE),
        (REFERENCE, order(), "USD", Reason.WRONG_CURRENCY),
        (REFERENCE, order(status="closed"), "EUR", Reason.ORDER_CLOSED),
        (REFERENCE, order(status="paid"), "EUR", Reason.ALREADY_PAID),
        (REFERENCE, order(due=0), "EUR", Reason.ALREADY_PAID),
    ],
)
def test_classify_unmatched_lines_say_why(
    reference: str | None, payable: Payable | None, currency: str, reason: Reason
) -> None:
    assert classify(line(52000, currency=currency), reference, payable) == Verdict(Outcome.UNMATCHED, reason)
