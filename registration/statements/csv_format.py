"""CSV exports of bank accounts: header row, ``,`` or ``;`` between cells, decimal point or comma, UTF-8 with
or without a byte-order mark.

Columns are found by their header, matched case-insensitively against ``CsvColumns`` (defaults cover
common English, German, French and Spanish exports; an organizer can name their bank's). The amount is one
signed column, or unsigned with a credit/debit indicator column beside it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import msgspec

from podium.errors import FieldError
from podium.i18n import N_, gettext
from podium.spreadsheet import from_cell
from registration.statements.lines import (
    Direction,
    StatementLine,
    check_currency,
    derived_ids,
    parse_amount,
    parse_day,
    refuse,
)

MAX_ROWS = 20_000


class CsvColumns(msgspec.Struct, frozen=True):
    """Header names (any of them, case-insensitive) of each column; ``None`` where a bank has no such column.

    ``currency`` may be absent from the file: ``default_currency`` is then every line's. ``decimal`` is
    ``","`` or ``"."``, or ``None`` to take ``,`` in ``;``-separated files and ``.`` otherwise."""

    booked_on: tuple[str, ...] = (
        "booking date",
        "date",
        "buchungstag",
        "buchungsdatum",
        "date de comptabilisation",
        "date opération",
        "fecha",
        "fecha operación",
        "value date",
    )
    amount: tuple[str, ...] = ("amount", "betrag", "montant", "importe", "betrag (eur)", "credit amount")
    currency: tuple[str, ...] = ("currency", "währung", "waehrung", "devise", "divisa", "ccy")
    remittance: tuple[str, ...] = (
        "reference",
        "remittance",
        "remittance information",
        "payment reference",
        "description",
        "verwendungszweck",
        "libellé",
        "libelle",
        "concepto",
        "details",
    )
    counterparty: tuple[str, ...] = (
        "counterparty",
        "name",
        "payer",
        "debtor",
        "auftraggeber",
        "name zahlungsbeteiligter",
        "auftraggeber/empfänger",
        "tiers",
        "ordenante",
    )
    transaction_id: tuple[str, ...] | None = (
        "transaction id",
        "bank reference",
        "transaktions-id",
        "bankreferenz",
        "référence banque",
        "referencia",
        "id",
    )
    indicator: tuple[str, ...] | None = ("credit/debit", "cdtdbtind", "soll/haben", "debit/credit")
    default_currency: str | None = None
    decimal: str | None = None
    date_format: str | None = None


DEFAULT_COLUMNS = CsvColumns()
_CREDIT_MARKS = {"crdt", "c", "cr", "credit", "h", "haben", "+"}
_DEBIT_MARKS = {"dbit", "d", "dr", "debit", "s", "soll", "-"}


def parse_csv(data: bytes, columns: CsvColumns = DEFAULT_COLUMNS) -> list[StatementLine]:
    """Every row as a ``StatementLine``; ``StatementRefused`` naming each bad row (by its number in the
    file) and column when any row is wrong, so nothing of a half-read file is ever used."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise refuse([FieldError("file", gettext("not UTF-8 text (byte %(byte)d)") % {"byte": error.start})]) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    decimal = columns.decimal or ("," if delimiter == ";" else ".")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error:  # a cell past the csv module's field limit (128 KiB), or one it can't read
        wording = gettext("not a readable CSV file: line %(line)d can't be read as rows and columns")
        raise refuse([FieldError("file", wording % {"line": reader.line_num})]) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise refuse([FieldError("file", N_("the file is empty: it needs a header row and one row per booking"))])
    if len(rows) > MAX_ROWS + 1:
        raise refuse([FieldError("file", gettext("at most %(num)d rows per file") % {"num": MAX_ROWS})])
    index, missing = _column_index(rows[0], columns)
    if missing:
        raise refuse([FieldError(f"header.{name}", N_("no column with this header")) for name in missing])
    errors: list[FieldError] = []
    parsed: list[tuple[int, tuple[str, ...], StatementLine]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        line = _read_row(number, row, index, columns, decimal, errors)
        if line is not None:
            parsed.append(line)
    if errors:
        raise refuse(errors)
    ids = derived_ids([key for _, key, _ in parsed])
    return [
        line if line.bank_transaction_id else msgspec.structs.replace(line, bank_transaction_id=derived)
        for (_, _, line), derived in zip(parsed, ids, strict=True)
    ]


def _column_index(header: Sequence[str], columns: CsvColumns) -> tuple[dict[str, int], list[str]]:
    names = [from_cell(cell).strip().lower() for cell in header]
    index: dict[str, int] = {}
    missing: list[str] = []
    wanted: dict[str, tuple[str, ...] | None] = {
        "booked_on": columns.booked_on,
        "amount": columns.amount,
        "currency": columns.currency,
        "remittance": columns.remittance,
        "counterparty": columns.counterparty,
        "transaction_id": columns.transaction_id,
        "indicator": columns.indicator,
    }
    for field, aliases in wanted.items():
        found = next((names.index(alias.lower()) for alias in aliases or () if alias.lower() in names), None)
        if found is not None:
            index[field] = found
        elif field in ("booked_on", "amount", "remittance") or (field == "currency" and not columns.default_currency):
            missing.append(field)
    return index, missing


def _read_row(
    number: int,
    row: Sequence[str],
    index: dict[str, int],
    columns: CsvColumns,
    decimal: str,
    errors: list[FieldError],
) -> tuple[int, tuple[str, ...], StatementLine] | None:
    def cell(field: str) -> str:
        position = index.get(field)
        return from_cell(row[position]).strip() if position is not None and position < len(row) else ""

    def bad(field: str, message: str) -> None:
        errors.append(FieldError(f"rows[{number}].{field}", message))

    before = len(errors)
    currency = ""
    try:
        currency = check_currency(cell("currency") or (columns.default_currency or ""))
    except ValueError:
        bad("currency", gettext("not a three-letter currency code: %(sent)s") % {"sent": repr(cell("currency"))})
    booked_on = None
    try:
        booked_on = parse_day(cell("booked_on"), columns.date_format)
    except ValueError:
        bad("booked_on", gettext("not a date: %(sent)s") % {"sent": repr(cell("booked_on"))})
    amount = 0
    if currency:
        try:
            amount = parse_amount(cell("amount"), currency, decimal=decimal)
        except ValueError:
            wording = gettext("not an amount in %(currency)s with decimal %(decimal)s: %(sent)s")
            bad("amount", wording % {"currency": currency, "decimal": repr(decimal), "sent": repr(cell("amount"))})
    direction: Direction = "debit" if amount < 0 else "credit"
    if "indicator" in index:
        mark = cell("indicator").lower()
        if mark in _CREDIT_MARKS | _DEBIT_MARKS:
            direction = "credit" if mark in _CREDIT_MARKS and amount >= 0 else "debit"
        else:
            bad("indicator", gettext("not a credit/debit mark: %(sent)s") % {"sent": repr(cell("indicator"))})
    if len(errors) > before or booked_on is None:
        return None
    remittance, counterparty = cell("remittance"), cell("counterparty")
    line = StatementLine(
        position=number,
        bank_transaction_id=cell("transaction_id")[:200],
        booked_on=booked_on,
        amount=abs(amount),
        currency=currency,
        direction=direction,
        remittance=remittance[:1000],
        counterparty=counterparty[:200],
    )
    key = (booked_on.isoformat(), str(amount), currency, remittance, counterparty)
    return number, key, line
