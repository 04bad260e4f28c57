"""Reading bank statements: two CSV dialects, CAMT.053 .001.02 and .001.08, and every way a file can be wrong."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from podium.errors import FieldError
from registration.statements.csv_format import CsvColumns, parse_csv
from registration.statements.lines import StatementLine, StatementRefused, parse_amount
from registration.statements.parsing import MAX_STATEMENT_BYTES, parse_statement

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def refused(data: bytes) -> list[FieldError]:
    with pytest.raises(StatementRefused) as caught:
        parse_statement(data)
    assert caught.value.status_code == 422
    return caught.value.errors


def test_csv_comma_dialect_reads_every_row() -> None:
    kind, lines = parse_statement(fixture("us-bank.csv"))

    assert kind == "csv"
    assert [(line.position, line.amount, line.direction) for line in lines] == [
        (2, 52000, "credit"),
        (3, 4510, "debit"),
        (4, 104000, "credit"),
        (5, 26050, "credit"),
    ]
    assert lines[0] == StatementLine(
        position=2,
        bank_transaction_id="TXN-0001",
        booked_on=dt.date(2026, 11, 2),
        amount=52000,
        currency="USD",
        direction="credit",
        remittance="Registration RF18 ABCD EFGH JKLM Ana Perez",
        counterparty="Universidad de Chile",
    )
    assert lines[2].counterparty == "Lab of Dr. Wu, Shanghai"


def test_csv_semicolon_dialect_with_bom_and_decimal_comma() -> None:
    kind, lines = parse_statement(fixture("de-bank.csv"))

    assert kind == "csv"
    assert [(line.amount, line.currency, line.direction) for line in lines] == [
        (52000, "EUR", "credit"),
        (123456, "EUR", "debit"),
        (104000, "EUR", "credit"),
        (104000, "EUR", "credit"),
    ]
    assert lines[0].counterparty == "Universität Wien"
    assert lines[2].remittance == "Taxa; RF45WXYZ23456789"


def test_csv_without_bank_ids_gets_stable_distinct_ids() -> None:
    first = parse_statement(fixture("de-bank.csv"))[1]
    again = parse_statement(fixture("de-bank.csv"))[1]

    ids = [line.bank_transaction_id for line in first]
    assert ids == [line.bank_transaction_id for line in again]
    assert len(set(ids)) == 4  # the two identical transfers of 3 November stay two lines


def test_csv_columns_can_be_named_for_a_bank() -> None:
    data = "When|How much|What\n2026-11-05|99.00|RF18ABCDEFGHJKLM\n".replace("|", ",").encode()
    columns = CsvColumns(booked_on=("when",), amount=("how much",), remittance=("what",), default_currency="GBP")

    [line] = parse_csv(data, columns)

    assert (line.amount, line.currency, line.remittance, line.counterparty) == (9900, "GBP", "RF18ABCDEFGHJKLM", "")


def test_csv_indicator_column_gives_the_direction() -> None:
    data = b"Date;Amount;Currency;Reference;Credit/Debit\n05.11.2026;10,00;EUR;a;S\n05.11.2026;20,00;EUR;b;H\n"

    lines = parse_csv(data)

    assert [(line.amount, line.direction) for line in lines] == [(1000, "debit"), (2000, "credit")]


def test_csv_bad_rows_are_all_named_by_row_and_column() -> None:
    data = (
        b"Date,Amount,Currency,Reference\n"
        b"2026-11-02,10.00,USD,ok\n"
        b"2026-13-02,10.00,USD,bad date\n"
        b"2026-11-02,ten,USD,bad amount\n"
        b"2026-11-02,10.001,USD,too many decimals\n"
        b"2026-11-02,10.00,dollars,bad currency\n"
    )

    errors = refused(data)

    assert [error.field for error in errors] == [
        "rows[3].booked_on",
        "rows[4].amount",
        "rows[5].amount",
        "rows[6].currency",
    ]


def test_csv_missing_columns_are_named() -> None:
    errors = refused(b"Date,Memo\n2026-11-02,hello\n")

    assert [error.field for error in errors] == ["header.amount", "header.currency", "header.remittance"]


def test_csv_not_utf8_is_refused() -> None:
    errors = refused("Date;Amount;Currency;Reference\n02.11.2026;1,00;EUR;Gebühr\n".encode("latin-1"))

    assert [error.field for error in errors] == ["file"]


def test_csv_a_cell_past_the_csv_modules_limit_is_refused_naming_its_line() -> None:
    huge = "x" * 140_000  # the csv module reads at most 128 KiB in one field; it raised, and the upload was a 500
    errors = refused(f'Date,Amount,Currency,Reference\n2026-11-02,1.00,EUR,ok\n2026-11-02,1.00,EUR,"{huge}"\n'.encode())

    assert errors == [FieldError("file", "not a readable CSV file: line 3 can't be read as rows and columns")]


def test_empty_and_oversized_files_are_refused() -> None:
    assert [error.field for error in refused(b"  \n")] == ["file"]
    assert [error.field for error in refused(b"Date,Amount\n" + b"x" * MAX_STATEMENT_BYTES)] == ["file"]


@pytest.mark.parametrize(
    ("text", "decimal", "currency", "expected"),
    [
        ("1,234.50", ".", "USD", 123450),
        ("1.234,50", ",", "EUR", 123450),
        ("-45.1", ".", "USD", -4510),
        ("12,50-", ",", "EUR", -1250),
        ("1 234,50", ",", "EUR", 123450),
        ("5000", ".", "JPY", 5000),
        ("1.250", ".", "KWD", 1250),
    ],
)
def test_amounts_read_exactly(text: str, decimal: str, currency: str, expected: int) -> None:
    assert parse_amount(text, currency, decimal=decimal) == expected


@pytest.mark.parametrize("text", ["1,23.50", "12.3.4", "", "1e3", "5.5"])
def test_amounts_that_are_not_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text, "JPY" if text == "5.5" else "USD", decimal=".")


def test_camt053_v02_entries_batches_and_pending() -> None:
    kind, lines = parse_statement(fixture("camt053-v02.xml"))

    assert kind == "camt.053"
    assert [(line.bank_transaction_id, line.amount, line.direction) for line in lines] == [
        ("2026110200001", 52000, "credit"),
        ("2026110200002", 8990, "debit"),
        ("2026110300007-1", 78000, "credit"),  # batched: one line per TxDtls, with its own amount
        ("2026110300007/2", 52000, "credit"),
    ]  # the pending (PDNG) entry is not money received yet
    assert lines[0].remittance == "RF18ABCDEFGHJKLM"  # Strd/CdtrRefInf/Ref
    assert lines[0].counterparty == "Universitaet Wien"
    assert lines[2].booked_on == dt.date(2026, 11, 3)  # BookgDt/DtTm
    assert lines[3].remittance == "frais d'inscription Podium 2027"  # every Ustrd


def test_camt053_v08_party_names_and_status_codes() -> None:
    kind, lines = parse_statement(fixture("camt053-v08.xml"))

    assert kind == "camt.053"
    assert lines == [
        StatementLine(
            position=1,
            bank_transaction_id="CH-0001",
            booked_on=dt.date(2026, 11, 4),
            amount=45000,
            currency="CHF",
            direction="credit",
            remittance="RF18ABCDEFGHJKLM",
            counterparty="ETH Zuerich",
        ),
        StatementLine(
            position=2,
            bank_transaction_id="FEE-11",
            booked_on=dt.date(2026, 11, 4),
            amount=1200,
            currency="CHF",
            direction="debit",
            remittance="Account fee",
            counterparty="",
        ),
    ]


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_camt053_every_version_namespace_is_read(version: str) -> None:
    data = fixture("camt053-v08.xml").replace(b"camt.053.001.08", f"camt.053.001.{version}".encode())

    assert len(parse_statement(data)[1]) == 2


@pytest.mark.parametrize("namespace", ["camt.053.001.01", "camt.053.001.09", "camt.054.001.08", "pain.001.001.03"])
def test_other_xml_documents_are_refused(namespace: str) -> None:
    data = fixture("camt053-v08.xml").replace(b"camt.053.001.08", namespace.encode())

    assert [error.field for error in refused(data)] == ["file"]


def test_camt053_bad_entries_are_named() -> None:
    data = (
        fixture("camt053-v02.xml")
        .replace(b'<Amt Ccy="EUR">520.00</Amt>\n        <CdtDbtInd>', b'<Amt Ccy="EUR">5x0</Amt>\n        <CdtDbtInd>')
        .replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>MAYBE</CdtDbtInd>")
        .replace(b"<DtTm>2026-11-03T09:12:00+01:00</DtTm>", b"<DtTm>yesterday</DtTm>")
    )

    errors = refused(data)

    assert [error.field for error in errors] == ["entries[1].Amt", "entries[2].CdtDbtInd", "entries[3].BookgDt"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-02</Dt></BookgDt>
<NtryDtls><TxDtls><RmtInf><Ustrd>&lol3;</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-02</Dt></BookgDt>
<NtryDtls><TxDtls><RmtInf><Ustrd>&xxe;</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["entity-expansion", "external-entity"])
def test_malicious_xml_is_refused(data: bytes) -> None:
    errors = refused(data)

    assert errors == [FieldError("file", "the XML declares a DTD or entities, which a statement never needs")]


def test_broken_xml_is_refused() -> None:
    errors = refused(fixture("camt053-v02.xml")[:-40])

    assert [error.field for error in errors] == ["file"]
    assert re.fullmatch(r"not well-formed XML \(line \d+, column \d+\)", errors[0].message)
