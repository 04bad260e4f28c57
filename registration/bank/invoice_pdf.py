"""An order's bank-transfer invoice on paper: the seller, the buyer billed, the order's lines and total, and how
to pay it (bank details, the reference to quote in groups of four, the due date in the event's time zone).

Pure: ``render_invoice`` draws only from its ``InvoiceSheet``, in the sheet's own language (the order's, frozen
on the sheet as receipts freeze theirs), whoever downloads it; the same sheet always draws the same bytes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from fpdf import FPDF

from podium.formatting import format_money, in_fours
from podium.i18n import gettext, using_locale
from podium.pdf_fonts import use_fonts
from registration.bank.schemas import BankDetails
from registration.documents.receipts import Buyer, Line, Seller, billed_lines, document_day, seller_lines


class InvoiceSheet(msgspec.Struct, kw_only=True):
    event_name: str
    event_dates: str
    seller: Seller
    footer: str = ""
    buyer: Buyer
    currency: str
    lines: list[Line]
    total: int
    received: int
    reference: str  # as printed, in groups of four
    due_on: dt.date  # the event's local day
    issued_on: dt.date
    bank: BankDetails  # the IBAN as stored; printed in groups of four
    locale: str


def render_invoice(data: InvoiceSheet) -> bytes:
    """A one-page PDF invoice, in ``data.locale``."""
    with using_locale(data.locale):
        return _render(data)


def _render(data: InvoiceSheet) -> bytes:
    def money(amount: int) -> str:
        return format_money(amount, data.currency)

    title = gettext("Invoice %(reference)s") % {"reference": data.reference}
    buyer = data.buyer
    billed, seller = billed_lines(buyer), seller_lines(data.seller)
    dated = gettext("Date: %(date)s") % {"date": document_day(data.issued_on)}
    due = gettext("Due by: %(date)s") % {"date": document_day(data.due_on)}
    pay_to = data.bank
    bank = [
        gettext("Account holder: %(name)s") % {"name": pay_to.beneficiary},
        f"IBAN: {in_fours(pay_to.iban)}",
        f"BIC / SWIFT: {pay_to.bic}" if pay_to.bic else "",
        gettext("Bank: %(bank)s") % {"bank": pay_to.bank_name} if pay_to.bank_name else "",
        *pay_to.bank_address.splitlines(),
        *pay_to.instructions.splitlines(),
    ]
    quote = gettext("Payment reference (quote it exactly): %(reference)s") % {"reference": data.reference}
    labels = [
        gettext("Billed to:"),
        gettext("Item"),
        gettext("Amount"),
        gettext("discount"),
        gettext("Total"),
        gettext("Received"),
        gettext("Amount due"),
        gettext("Pay by bank transfer to:"),
    ]
    amounts = [data.total, -data.received, data.total - data.received]
    amounts += [amount for line in data.lines for amount in (line.amount, -line.discount)]
    texts = [title, dated, due, quote, data.event_name, data.event_dates, data.footer, *labels, *billed, *seller]
    texts += [*bank, *(line.description for line in data.lines), *(money(amount) for amount in amounts)]
    pdf = FPDF(format="A4")
    fonts = use_fonts(pdf, texts)
    pdf.set_title(fonts.prepare(title))
    pdf.set_author(fonts.prepare(data.seller.legal_name or data.event_name))
    pdf.set_creation_date(dt.datetime.combine(data.issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.add_page()

    def text(value: str, size: int = 10, style: str = "", height: int = 5) -> None:
        if value:
            fonts.set_font(style, size)
            pdf.cell(0, height, fonts.prepare(value), new_x="LMARGIN", new_y="NEXT")

    def row(label: str, amount: str, style: str = "", border: Literal[0, 1] | str = 0) -> None:
        fonts.set_font(style, 11)
        pdf.cell(130, 7, fonts.prepare(label), border=border)
        pdf.cell(0, 7, fonts.prepare(amount), border=border, align="R", new_x="LMARGIN", new_y="NEXT")

    for value in seller:
        text(value, 9)
    pdf.ln(3)
    text(data.event_name, 18, "B", 10)
    text(data.event_dates, 11)
    pdf.ln(6)
    text(title, 14, "B", 9)
    text(dated, 11)
    text(due, 11, "B")
    pdf.ln(2)
    text(gettext("Billed to:"), 11, "B")
    for value in billed:
        text(value, 11)
    pdf.ln(4)
    row(gettext("Item"), gettext("Amount"), "B", "B")
    for line in data.lines:
        row(line.description[:80], money(line.amount))
        if line.discount:
            row("      " + gettext("discount"), money(-line.discount))
    pdf.ln(2)
    row(gettext("Total"), money(data.total), "B", "T")
    if data.received:
        row(gettext("Received"), money(-data.received))
        row(gettext("Amount due"), money(data.total - data.received), "B")
    pdf.ln(6)
    text(gettext("Pay by bank transfer to:"), 11, "B")
    for value in bank:
        text(value, 11)
    text(quote, 12, "B", 7)
    if data.footer:
        pdf.ln(8)
        fonts.set_font("", 9)
        pdf.multi_cell(0, 5, fonts.prepare(data.footer))
    return bytes(pdf.output())
