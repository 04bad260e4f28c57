"""Importing a bank statement: every line stored with its verdict, money recorded for the lines that pay an order.

One transaction for the whole file (the caller commits): a file is what the organizer uploaded and looks at, so it
is imported whole or not at all; a bad row refuses the file before anything is written (``parsing``), and a
failure midway leaves no half-imported statement to reconcile by hand. Recording is ``record_bank_payment``'s,
the one rule for money received by transfer.

Exactly once: a line claims its bank transaction id with a row under a partial unique index, in a savepoint, before
any money moves. An entry seen before (an earlier import, an overlapping file, or a concurrent import that got there
first: on PostgreSQL the insert waits for that one's commit) is kept as a ``duplicate`` and does nothing; the same
file twice (its SHA-256) is refused with 409. On SQLite the import holds the write lock from its start.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium import audit
from podium.db import begin_write, savepoint, utcnow
from podium.errors import Conflict
from podium.i18n import N_
from registration.models import BankStatement, BankStatementLine, LineOutcome, ReviewStatus
from registration.statements.csv_format import DEFAULT_COLUMNS, CsvColumns
from registration.statements.lines import StatementLine
from registration.statements.matching import REVIEW_OUTCOMES, Outcome, Verdict, classify
from registration.statements.parsing import file_digest, parse_statement
from registration.statements.payables import FoundReference, find_payable, lock_payable, settle


class DuplicateStatement(Conflict):
    code = "duplicate_statement"


async def import_statement(
    db_session: AsyncSession,
    event: Event,
    *,
    filename: str,
    data: bytes,
    actor: str,
    columns: CsvColumns = DEFAULT_COLUMNS,
    now: dt.datetime | None = None,
) -> BankStatement:
    """Read, store and apply one statement file for ``event``; 422 for a bad file, 409 for one imported before."""
    kind, lines = parse_statement(data, columns)
    now = now or utcnow()
    await begin_write(db_session)
    digest = file_digest(data)
    duplicate = DuplicateStatement(N_("this file was imported before; nothing was recorded again"), field="file")
    if await db_session.scalar(
        select(BankStatement.id).where(BankStatement.event_id == event.id, BankStatement.file_digest == digest)
    ):
        raise duplicate
    statement = BankStatement(
        event_id=event.id, filename=filename[:200] or "statement", format=kind, file_digest=digest, actor=actor
    )
    async with savepoint(db_session, duplicate):
        db_session.add(statement)
        await db_session.flush()
    rows = [_new_row(statement, line) for line in lines]
    # Claims in bank-id order and orders locked in reference order, the same in every import, so two imports of
    # overlapping files wait for each other instead of deadlocking.
    claimed = {id(row): await _claim(db_session, row) for row in sorted(rows, key=lambda row: row.bank_transaction_id)}
    pending = []
    for row, line in zip(rows, lines, strict=True):
        if claimed[id(row)]:
            pending.append((await find_payable(db_session, event.id, line), row, line))
        else:
            db_session.add(_new_row(statement, line, outcome=LineOutcome.DUPLICATE))
    pending.sort(key=lambda item: (item[0].reference or "", item[1].bank_transaction_id))
    for found, row, line in pending:
        await _match(db_session, found, row, line, source=kind.replace(".", ""), actor=actor, now=now)
    await db_session.flush()
    counts: dict[str, int] = {}
    for row in rows:
        outcome = row.outcome if claimed[id(row)] else LineOutcome.DUPLICATE.value
        counts[outcome] = counts.get(outcome, 0) + 1
    audit.record(
        db_session,
        "bank_statement",
        statement.id,
        None,
        "imported",
        actor,
        f"{filename}: {len(lines)} lines; " + ", ".join(f"{name} {count}" for name, count in sorted(counts.items())),
        event_id=event.id,
    )
    return statement


def _new_row(
    statement: BankStatement, line: StatementLine, outcome: LineOutcome = LineOutcome.UNMATCHED
) -> BankStatementLine:
    return BankStatementLine(
        statement_id=statement.id,
        event_id=statement.event_id,
        position=line.position,
        bank_transaction_id=line.bank_transaction_id,
        booked_on=line.booked_on,
        amount=line.amount,
        currency=line.currency,
        direction=line.direction,
        remittance=line.remittance,
        counterparty=line.counterparty,
        outcome=outcome.value,
        excess=0,
        review_status=ReviewStatus.NONE.value,
        review_note="",
    )


async def _match(
    db_session: AsyncSession,
    found: FoundReference,
    row: BankStatementLine,
    line: StatementLine,
    *,
    source: str,
    actor: str,
    now: dt.datetime,
) -> None:
    """The claimed line's verdict, and the money recorded when it pays an order or a group invoice."""
    row.reference = found.reference
    target = await lock_payable(db_session, found)
    verdict = classify(line, found.reference, target)
    if verdict.outcome in (Outcome.EXACT, Outcome.PARTIAL, Outcome.OVER) and target is not None:
        verdict = await settle(
            db_session, target, verdict, line, source=source, line_id=row.bank_transaction_id, actor=actor, now=now
        )
    _apply(row, verdict, target.id if target else None, target.kind if target else None)


async def _claim(db_session: AsyncSession, row: BankStatementLine) -> bool:
    """Whether this line is the first of its bank transaction for the event (the row is then stored)."""
    seen = await db_session.scalar(
        select(BankStatementLine.id).where(
            BankStatementLine.event_id == row.event_id,
            BankStatementLine.bank_transaction_id == row.bank_transaction_id,
            BankStatementLine.outcome != LineOutcome.DUPLICATE.value,
        )
    )
    if seen is not None:
        return False
    try:
        async with db_session.begin_nested():
            db_session.add(row)
            await db_session.flush()
    except IntegrityError:  # a concurrent import claimed it and committed first (the savepoint dropped the row)
        return False
    return True


def _apply(row: BankStatementLine, verdict: Verdict, target_id: UUID | None, kind: str | None) -> None:
    row.outcome = verdict.outcome.value
    row.reason = verdict.reason.value if verdict.reason else None
    row.excess = verdict.excess
    if kind == "order":
        row.order_id = target_id
    elif kind == "group":
        row.group_invoice_id = target_id
    row.review_status = (ReviewStatus.OPEN if verdict.outcome in REVIEW_OUTCOMES else ReviewStatus.NONE).value
