"""CAMT.053 (ISO 20022 BankToCustomerStatement) files, versions 001.02 to 001.08.

Read with defusedxml and no DTD allowed at all: a statement is XML from outside, and a DTD is how entity
expansion ("billion laughs") and external entities get in; CAMT needs none. Each booked ``Ntry`` is one
line, or one line per ``TxDtls`` when the bank batched several transfers into one entry. Pending entries
(status other than BOOK) are not yet money received and are left out.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import msgspec
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from podium.errors import FieldError
from podium.i18n import N_, gettext
from registration.statements.lines import (
    StatementLine,
    StatementRefused,
    check_currency,
    derived_ids,
    parse_amount,
    parse_day,
    refuse,
)

_NO_DTD = "the XML declares a DTD or entities, which a statement never needs"
_NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])\}Document$")


def is_camt(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"camt.053" in data[:4096]


def parse_camt053(data: bytes) -> list[StatementLine]:
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise refuse([FieldError("file", _NO_DTD)]) from None
    except ParseError as error:
        where, column = error.position
        wording = gettext("not well-formed XML (line %(line)d, column %(column)d)")
        raise refuse([FieldError("file", wording % {"line": where, "column": column})]) from None
    match = _NAMESPACE.match(root.tag)
    if match is None:
        raise refuse([FieldError("file", N_("not a camt.053.001.02 to .08 BankToCustomerStatement document"))])
    ns = {"c": root.tag[1:].split("}")[0]}
    errors: list[FieldError] = []
    lines: list[StatementLine] = []
    keys: list[tuple[str, ...]] = []
    for number, entry in enumerate(root.iterfind("c:BkToCstmrStmt/c:Stmt/c:Ntry", ns), start=1):
        status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)
        if status and status != "BOOK":
            continue
        try:
            for line in _entry_lines(number, entry, ns):
                lines.append(line)
                keys.append((str(number), line.bank_transaction_id, line.remittance))
        except StatementRefused as refused:
            errors.extend(refused.errors)
    if errors:
        raise refuse(errors)
    derived = derived_ids(keys)
    return [
        line if line.bank_transaction_id else _with_id(line, new_id)
        for line, new_id in zip(lines, derived, strict=True)
    ]


def _with_id(line: StatementLine, new_id: str) -> StatementLine:
    return msgspec.structs.replace(line, bank_transaction_id=new_id)


def _text(element: Element, path: str, ns: dict[str, str]) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _entry_lines(number: int, entry: Element, ns: dict[str, str]) -> list[StatementLine]:
    prefix = f"entries[{number}]"
    errors: list[FieldError] = []
    amount_element = entry.find("c:Amt", ns)
    currency = ""
    try:
        currency = check_currency(amount_element.get("Ccy", "") if amount_element is not None else "")
    except ValueError:
        errors.append(FieldError(f"{prefix}.Amt.Ccy", N_("missing or not a currency code")))
    indicator = _text(entry, "c:CdtDbtInd", ns)
    if indicator not in ("CRDT", "DBIT"):
        errors.append(
            FieldError(f"{prefix}.CdtDbtInd", gettext("CRDT or DBIT, not %(sent)s") % {"sent": repr(indicator)})
        )
    booked = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)
    booked_on = None
    try:
        booked_on = parse_day(booked)
    except ValueError:
        errors.append(
            FieldError(f"{prefix}.BookgDt", gettext("missing or not a date: %(sent)s") % {"sent": repr(booked)})
        )
    amount = _amount(amount_element, currency, f"{prefix}.Amt", errors)
    if errors or booked_on is None:
        raise refuse(errors)
    entry_id = _text(entry, "c:AcctSvcrRef", ns) or _text(entry, "c:NtryRef", ns)
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    if len(details) <= 1:
        detail = details[0] if details else None
        return [
            StatementLine(
                position=number,
                bank_transaction_id=(entry_id or _tx_id(detail, ns))[:200],
                booked_on=booked_on,
                amount=amount,
                currency=currency,
                direction="credit" if indicator == "CRDT" else "debit",
                remittance=_remittance(detail, ns),
                counterparty=_counterparty(detail, ns, indicator),
            )
        ]
    lines = []
    for index, detail in enumerate(details, start=1):
        field = f"{prefix}.TxDtls[{index}]"
        tx_amount_element = detail.find("c:Amt", ns)
        if tx_amount_element is None:
            tx_amount_element = detail.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
        tx_amount = _amount(tx_amount_element, currency, f"{field}.Amt", errors)
        tx_indicator = _text(detail, "c:CdtDbtInd", ns) or indicator
        tx_id = _tx_id(detail, ns) or (f"{entry_id}/{index}" if entry_id else "")
        lines.append(
            StatementLine(
                position=number,
                bank_transaction_id=tx_id[:200],
                booked_on=booked_on,
                amount=tx_amount,
                currency=currency,
                direction="credit" if tx_indicator == "CRDT" else "debit",
                remittance=_remittance(detail, ns),
                counterparty=_counterparty(detail, ns, tx_indicator),
            )
        )
    if errors:
        raise refuse(errors)
    return lines


def _amount(element: Element | None, currency: str, field: str, errors: list[FieldError]) -> int:
    if element is None:
        errors.append(FieldError(field, N_("missing")))
        return 0
    if currency and element.get("Ccy", currency).upper() != currency:
        errors.append(FieldError(field, N_("a batched transfer in another currency than its entry")))
        return 0
    try:
        # With no currency named, ISO 4217's code for "no currency" (XXX) stands in so the amount is still read.
        value = parse_amount(element.text or "", currency or "XXX", decimal=".")
    except ValueError:
        wording = gettext("not an amount in %(currency)s: %(sent)s")
        errors.append(FieldError(field, wording % {"currency": currency, "sent": repr(element.text)}))
        return 0
    if value < 0:
        errors.append(FieldError(field, N_("negative; CdtDbtInd gives the direction")))
    return abs(value)


def _tx_id(detail: Element | None, ns: dict[str, str]) -> str:
    if detail is None:
        return ""
    return _text(detail, "c:Refs/c:AcctSvcrRef", ns) or _text(detail, "c:Refs/c:TxId", ns)


def _remittance(detail: Element | None, ns: dict[str, str]) -> str:
    """The unstructured remittance lines and any structured creditor references, in one text to search."""
    if detail is None:
        return ""
    parts = [(element.text or "").strip() for element in detail.iterfind("c:RmtInf/c:Ustrd", ns)]
    parts += [(element.text or "").strip() for element in detail.iterfind("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)]
    return " ".join(part for part in parts if part)[:1000]


def _counterparty(detail: Element | None, ns: dict[str, str], indicator: str) -> str:
    """Who sent the money (``Dbtr``) on a credit, who got it (``Cdtr``) on a debit; ``Pty`` wraps the name from
    version 08 on."""
    if detail is None:
        return ""
    party = "Dbtr" if indicator == "CRDT" else "Cdtr"
    name = _text(detail, f"c:RltdPties/c:{party}/c:Nm", ns) or _text(detail, f"c:RltdPties/c:{party}/c:Pty/c:Nm", ns)
    return name[:200]
