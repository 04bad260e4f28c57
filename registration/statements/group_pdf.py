"""A group invoice on paper: the seller, the institution billed, each order it pays for, the total, and how to pay
it (bank details, the reference to quote, the due date). Pure: the same data always draws the same bytes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from fpdf import FPDF

from podium.formatting import format_money
from podium.pdf_fonts import use_fonts
from registration.documents.receipts import Buyer, Line, Seller, seller_lines


class GroupInvoiceSheet(msgspec.Struct, kw_only=True):
    event_name: str
    event_dates: str
    seller: Seller
    footer: str = ""
    billed: Buyer
    currency: str
    lines: list[Line]
    total: int
    reference: str  # as printed, in groups of four
    due_on: dt.date
    issued_on: dt.date
    bank: list[str]  # beneficiary, IBAN, BIC, bank name and address, instructions: one printed line each


def render_group_invoice(data: GroupInvoiceSheet) -> bytes:
    title = f"Invoice {data.reference}"
    billed = [
        data.billed.organization,
        *data.billed.address.splitlines(),
        data.billed.country,
        f"Tax ID: {data.billed.tax_id}" if data.billed.tax_id else "",
        f"Purchase order: {data.billed.po_number}" if data.billed.po_number else "",
        data.billed.email,
    ]
    seller = seller_lines(data.seller)
    texts = [title, data.event_name, data.event_dates, data.footer, *billed, *seller, *data.bank]
    texts += [line.description for line in data.lines]
    pdf = FPDF(format="A4")
    fonts = use_fonts(pdf, texts)
    pdf.set_title(fonts.prepare(title))
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
    text(f"Date: {data.issued_on:%Y-%m-%d}", 11)
    text(f"Due: {data.due_on:%Y-%m-%d}", 11, "B")
    pdf.ln(2)
    text("Billed to:", 11, "B")
    for value in billed:
        text(value, 11)
    pdf.ln(4)
    row("Registration", "Amount", "B", "B")
    for line in data.lines:
        row(line.description[:80], format_money(line.amount, data.currency))
    pdf.ln(2)
    row("Total due", format_money(data.total, data.currency), "B", "T")
    pdf.ln(6)
    text("Pay by bank transfer to:", 11, "B")
    for value in data.bank:
        text(value, 11)
    text(f"Reference (quote it exactly): {data.reference}", 12, "B", 7)
    if data.footer:
        pdf.ln(8)
        fonts.set_font("", 9)
        pdf.multi_cell(0, 5, fonts.prepare(data.footer))
    return bytes(pdf.output())
