"""One entry point for every statement format: the file's bytes decide which parser reads them."""

from __future__ import annotations

import hashlib

from podium.errors import FieldError
from podium.i18n import N_, gettext
from registration.statements.camt import is_camt, parse_camt053
from registration.statements.csv_format import DEFAULT_COLUMNS, CsvColumns, parse_csv
from registration.statements.lines import StatementLine, refuse

MAX_STATEMENT_BYTES = 5 * 1024 * 1024


def file_digest(data: bytes) -> str:
    """What makes two uploads the same file: the same bytes."""
    return hashlib.sha256(data).hexdigest()


def parse_statement(data: bytes, columns: CsvColumns = DEFAULT_COLUMNS) -> tuple[str, list[StatementLine]]:
    """``("camt.053", lines)`` or ``("csv", lines)``; ``StatementRefused`` (422) for a file that is neither,
    too large, or has a bad row."""
    if not data.strip():
        raise refuse([FieldError("file", N_("the file is empty"))])
    if len(data) > MAX_STATEMENT_BYTES:
        wording = gettext("at most %(size)d MB per statement")
        raise refuse([FieldError("file", wording % {"size": MAX_STATEMENT_BYTES // (1024 * 1024)})])
    if is_camt(data):
        return "camt.053", parse_camt053(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "camt.053", parse_camt053(data)  # XML, but not a statement: the parser says what is wrong
    return "csv", parse_csv(data, columns)
