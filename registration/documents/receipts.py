"""Receipts and credit notes on paper: money formatting, the frozen data a document prints, and its PDF.

What a document says is gathered once, when it is recorded (``registration.documents.services``), and stored on its
row as ``DocumentData``; ``render_document`` is a pure function of that data, its number and its date, so a
document reads the same forever whatever later happens to the order. It is written in the order's language,
stored with the data (``DocumentData.locale``): its labels, dates and money are that locale's whoever downloads it.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from babel import dates
from fpdf import FPDF

from events.models import Event
from podium.formatting import format_date_range, format_money
from podium.i18n import DEFAULT_LOCALE, N_, current_locale, gettext, known_or_as_is, using_locale
from podium.pdf_fonts import Fonts, use_fonts


def receipt_number(event_slug: str, number: int) -> str:
    """``AM2027-000123``: the event's slug keeps numbers of different events apart on paper."""
    return f"{event_slug.upper()}-{number:06d}"


class Seller(msgspec.Struct, kw_only=True):
    legal_name: str = ""
    address: str = ""
    tax_id: str = ""


class Buyer(msgspec.Struct, kw_only=True):
    name: str
    email: str
    organization: str = ""
    address: str = ""
    country: str = ""
    tax_id: str = ""
    po_number: str = ""


class Line(msgspec.Struct, kw_only=True):
    description: str
    amount: int
    discount: int = 0


class Tax(msgspec.Struct, kw_only=True):
    """A tax included in the total. Podium charges none yet; the field keeps the stored format ready for it."""

    label: str
    amount: int


class DocumentData(msgspec.Struct, kw_only=True):
    """Everything a receipt or credit note prints, frozen on its row when it is recorded."""

    kind: str  # "receipt" or "credit_note"
    event_name: str
    event_dates: str
    seller: Seller
    footer: str = ""
    buyer: Buyer
    currency: str
    lines: list[Line]
    subtotal: int
    discount_total: int
    total: int
    taxes: list[Tax] = []
    paid_on: dt.date | None = None
    # A credit note: the number of the receipt it cancels, and why.
    corrects: str | None = None
    note: str = ""
    # The language it is written in (the order's when recorded); documents recorded before it existed are English.
    locale: str = DEFAULT_LOCALE

    def content(self) -> tuple[object, ...]:
        """What a receipt says about the sale: a change here needs a credit note and a new receipt; a change of
        the seller's details or the event's name does not (it applies to documents issued from then on)."""
        return (self.buyer, self.currency, self.lines, self.subtotal, self.discount_total, self.total, self.taxes)


# Why a credit note was issued, as ``record_documents`` callers name it: stored in English, printed translated.
CREDIT_REASONS = (
    N_("payment"),
    N_("refund"),
    N_("cancellation"),
    N_("transfer"),
    N_("refund failed"),
    N_("billing details changed"),
)
# Lines a receipt adds on its own (``documents.services.receipt_now``), written in the order's language.
REFUNDED_LINE = N_("Refunded")
FEE_LINE = N_("Kept on cancellation (fee)")


def document_title(kind: str) -> str:
    """In the current locale."""
    return gettext("Credit note") if kind == "credit_note" else gettext("Receipt")


def document_day(day: dt.date) -> str:
    """A document's dates: ISO in English (as every English receipt has printed them), CLDR's medium date in
    other locales (``1 mar 2027``, ``2027年3月1日``)."""
    locale = current_locale()
    return f"{day:%Y-%m-%d}" if locale == DEFAULT_LOCALE else dates.format_date(day, "medium", locale=locale)


class _Sheet:
    """One document's PDF and its fonts, written line by line; every text gets the faces its scripts need."""

    def __init__(self, pdf: FPDF, fonts: Fonts) -> None:
        self.pdf, self.fonts = pdf, fonts

    def _box(self) -> tuple[float, float, float]:
        """The next line's top, left and width (margin to margin)."""
        pdf = self.pdf
        return pdf.y, pdf.l_margin, pdf.w - pdf.r_margin - pdf.l_margin

    def _below(self, top: float, height: float) -> None:
        self.pdf.set_xy(self.pdf.l_margin, top + height)

    def row(self, label: str, amount: str = "", *, style: str = "", size: int = 11, border: str = "") -> None:
        self.fonts.set_font(style, size)
        top, left, width = self._box()
        self.fonts.cell(left, top, 130, 7, self.fonts.prepare(label), border=border)
        self.fonts.cell(left + 130, top, width - 130, 7, self.fonts.prepare(amount), "R", border=border)
        self._below(top, 7)

    def line(self, text: str, size: int = 10, style: str = "") -> None:
        if text:
            self.fonts.set_font(style, size)
            top, left, width = self._box()
            self.fonts.cell(left, top, width, 5, self.fonts.prepare(text))
            self._below(top, 5)

    def heading(self, text: str, size: int, height: int) -> None:
        self.fonts.set_font("B", size)
        top, left, width = self._box()
        self.fonts.cell(left, top, width, height, self.fonts.prepare(text))
        self._below(top, height)


def render_document(data: DocumentData, number: str, issued_on: dt.date) -> bytes:
    """A one-page PDF receipt or credit note; pure (no I/O but reading a font), so it is tested directly and
    run off the event loop by callers. The same data, number and date always give the same bytes, in the
    document's own language whatever the reader's."""
    with using_locale(data.locale):
        return _render(data, number, issued_on)


def billed_lines(buyer: Buyer) -> list[str]:
    """Who a document is made out to, a line each (empty lines are not printed)."""
    return [
        buyer.organization,
        buyer.name,
        *buyer.address.splitlines(),
        buyer.country,
        gettext("Tax ID: %(id)s") % {"id": buyer.tax_id} if buyer.tax_id else "",
        gettext("Purchase order: %(number)s") % {"number": buyer.po_number} if buyer.po_number else "",
        buyer.email,
    ]


def seller_lines(seller: Seller) -> list[str]:
    """The seller's letterhead, a line each (empty lines are not printed)."""
    return [
        seller.legal_name,
        *seller.address.splitlines(),
        gettext("Tax ID: %(id)s") % {"id": seller.tax_id} if seller.tax_id else "",
    ]


def _render(data: DocumentData, number: str, issued_on: dt.date) -> bytes:
    title = f"{document_title(data.kind)} {number}"
    buyer = data.buyer
    billed, seller = billed_lines(buyer), seller_lines(data.seller)
    dated = gettext("Date: %(date)s") % {"date": document_day(issued_on)}
    cancels = ""
    if data.corrects:
        cancels = gettext("Cancels receipt %(number)s") % {"number": data.corrects}
        cancels += f" ({known_or_as_is(data.note)})" if data.note else ""
    labels = [dated, cancels, *_labels(data)]
    texts = [title, data.event_name, data.event_dates, data.footer, *labels, *billed, *seller]
    texts += [line.description for line in data.lines] + [tax.label for tax in data.taxes]
    # Money too: a locale's currency sign (``€`` in ``es``, ``US$``) may not be Latin-1.
    amounts = [data.subtotal, -data.discount_total, data.total, *(tax.amount for tax in data.taxes)]
    amounts += [amount for line in data.lines for amount in (line.amount, -line.discount)]
    texts += [format_money(amount, data.currency) for amount in amounts]
    pdf = FPDF(format="A4")
    sheet = _Sheet(pdf, use_fonts(pdf, texts))
    pdf.set_title(sheet.fonts.prepare(title))
    pdf.set_author(sheet.fonts.prepare(data.seller.legal_name or data.event_name))
    # Dated by the document, not the clock: the same document always renders to the same bytes.
    pdf.set_creation_date(dt.datetime.combine(issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.add_page()
    for line in seller:
        sheet.line(line, 9)
    if any(seller):
        pdf.ln(3)
    sheet.heading(data.event_name, 18, 10)
    sheet.line(data.event_dates, 11)
    pdf.ln(6)
    sheet.heading(title, 14, 9)
    sheet.line(dated, 11)
    sheet.line(cancels, 11)
    pdf.ln(2)
    sheet.line(gettext("Billed to:"), 11, "B")
    for line in billed:
        sheet.line(line, 11)
    pdf.ln(4)
    _items_and_totals(sheet, data)
    if data.footer:
        pdf.ln(8)
        sheet.fonts.set_font("", 9)
        pdf.multi_cell(0, 5, sheet.fonts.prepare(data.footer))
    return bytes(pdf.output())


def _paid(data: DocumentData) -> str:
    if data.paid_on:
        return gettext("PAID on %(date)s") % {"date": document_day(data.paid_on)}
    return gettext("PAID")


def _labels(data: DocumentData) -> list[str]:
    """The table's fixed words in the current locale (the font choice needs them before printing)."""
    return [
        gettext("Item"),
        gettext("Amount"),
        gettext("discount"),
        gettext("Subtotal"),
        gettext("Discounts"),
        gettext("Total credited"),
        gettext("Total"),
        _paid(data),
        *(gettext("incl. %(tax)s") % {"tax": tax.label} for tax in data.taxes),
    ]


def _items_and_totals(sheet: _Sheet, data: DocumentData) -> None:
    def money(amount: int) -> str:
        return format_money(amount, data.currency)

    sheet.row(gettext("Item"), gettext("Amount"), style="B", border="B")
    for item in data.lines:
        sheet.row(item.description[:80], money(item.amount))
        if item.discount:
            sheet.row("      " + gettext("discount"), money(-item.discount))
    sheet.pdf.ln(2)
    sheet.row(gettext("Subtotal"), money(data.subtotal), border="T")
    if data.discount_total:
        sheet.row(gettext("Discounts"), money(-data.discount_total))
    for tax in data.taxes:
        sheet.row(gettext("incl. %(tax)s") % {"tax": tax.label}, money(tax.amount))
    if data.kind == "credit_note":
        sheet.row(gettext("Total credited"), money(data.total), style="B", size=12)
    else:
        sheet.row(gettext("Total"), money(data.total), style="B", size=12)
        sheet.row(_paid(data), money(data.total), style="B")


def event_dates(event: Event) -> str:
    """The event's local calendar days spelled out (``Monday June 7, 2027 to ...``): unambiguous anywhere; in the
    current locale."""
    return format_date_range(event.start_date, event.end_date)
