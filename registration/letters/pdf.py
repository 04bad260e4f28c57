"""The letter on paper: the event's letterhead (logo, brand colour, seller), the invitation naming the traveller as
in their passport, what the registration covers and what was paid, the signature, and the verification code with
a QR code of the public page's URL. ``render_letter`` is pure: the same facts give the same bytes. It is written
in the registration's language (``LetterFacts.locale``), dates and money by that locale.

The QR matrix comes from the ``qrcode`` package's public API (badges draw theirs with a tuned encoder of their
own, which registration may not import); one letter needs one code, so its speed doesn't matter here.
"""

from __future__ import annotations

import datetime as dt
import io

import msgspec
import qrcode
from babel import Locale
from babel import dates as babel_dates
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

from podium.formatting import format_date_range, format_money
from podium.i18n import DEFAULT_LOCALE, current_locale, gettext, using_locale
from podium.pdf_fonts import use_fonts
from registration.letters.sealing import PassportData
from registration.letters.validation import country_names

QR_SIZE_MM = 32.0


class LetterFacts(msgspec.Struct, kw_only=True):
    """Everything a letter prints, gathered by ``registration.letters.documents``."""

    seller_name: str
    seller_address: str
    event_name: str
    start_date: dt.date
    end_date: dt.date
    venue: str
    city: str
    brand_colour: str | None
    logo_png: bytes | None
    passport: PassportData
    embassy_city: str
    category: str
    add_ons: list[str]
    fee_paid: int
    currency: str
    signature_png: bytes | None
    signatory: str
    code: str
    verify_url: str
    issued_on: dt.date
    locale: str = DEFAULT_LOCALE
    signatory_title: str = ""


def country_name(code: str) -> str:
    """The country's name in the current locale (Babel's territories), English when it has none."""
    local = Locale.parse(current_locale()).territories.get(code)
    return str(local) if local else country_names().get(code, code)


def qr_modules(text: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    modules = qr_modules(text)
    step = size / len(modules)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * step, y + r * step, (c - start) * step, step, style="F")


def _rgb(colour: str | None) -> tuple[int, int, int]:
    if not colour:
        return (40, 40, 40)
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _day(day: dt.date) -> str:
    """ISO in English (as letters have printed), CLDR's long date elsewhere."""
    locale = current_locale()
    return f"{day:%Y-%m-%d}" if locale == DEFAULT_LOCALE else babel_dates.format_date(day, "long", locale=locale)


def render_letter(facts: LetterFacts) -> bytes:
    """A one-page A4 PDF invitation letter, in the letter's language."""
    with using_locale(facts.locale):
        return _render(facts)


def _render(facts: LetterFacts) -> bytes:
    p = facts.passport
    covers = facts.category
    if facts.add_ons:
        covers = gettext("%(category)s, with %(add_ons)s") % {"category": covers, "add_ons": ", ".join(facts.add_ons)}
    dates = format_date_range(facts.start_date, facts.end_date)
    place = ", ".join(x for x in (facts.venue, facts.city) if x)
    fee = format_money(facts.fee_paid, facts.currency)
    heading = gettext("Visa invitation letter")
    body = [
        gettext("To the Embassy or Consulate in %(city)s") % {"city": facts.embassy_city},
        gettext("We are pleased to invite %(name)s to attend %(event)s, to be held %(dates)s at %(place)s.")
        % {"name": p.passport_name, "event": facts.event_name, "dates": dates, "place": place},
        gettext("Name (as in the passport): %(name)s") % {"name": p.passport_name},
        gettext("Nationality: %(country)s") % {"country": country_name(p.nationality)},
        gettext("Passport number: %(number)s") % {"number": p.passport_number},
        gettext("Date of birth: %(date)s") % {"date": _day(p.date_of_birth)},
        gettext("Registration: %(covers)s") % {"covers": covers},
        gettext("Registration fee paid: %(fee)s") % {"fee": fee},
        gettext(
            "This letter is an invitation to attend the meeting; it does not commit the organizers to any costs of "
            "travel or stay."
        ),
        gettext("Verify this letter: %(url)s (code %(code)s)") % {"url": facts.verify_url, "code": facts.code},
    ]
    dated = gettext("Date: %(date)s") % {"date": _day(facts.issued_on)}
    on_behalf = gettext("for %(event)s") % {"event": facts.event_name}
    seller = [facts.seller_name, *facts.seller_address.splitlines()]
    pdf = FPDF(format="A4")
    names = [facts.event_name, facts.signatory, facts.signatory_title]
    fonts = use_fonts(pdf, [*body, *seller, *names, heading, dated, on_behalf])
    pdf.set_title(fonts.prepare(f"{heading} {facts.code}"))
    pdf.set_author(fonts.prepare(facts.seller_name or facts.event_name))
    pdf.set_creation_date(dt.datetime.combine(facts.issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.add_page()
    pdf.set_fill_color(*_rgb(facts.brand_colour))
    pdf.rect(0, 0, 210, 6, style="F")
    if facts.logo_png:
        pdf.image(io.BytesIO(facts.logo_png), x=150, y=12, h=18)
    pdf.set_y(12)
    for line in seller:
        if line:
            fonts.set_font("", 9)
            pdf.cell(120, 5, fonts.prepare(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    fonts.set_font("B", 16)
    pdf.cell(0, 9, fonts.prepare(facts.event_name), new_x="LMARGIN", new_y="NEXT")
    fonts.set_font("", 10)
    pdf.cell(0, 6, fonts.prepare(f"{dates} · {place}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, fonts.prepare(dated), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    fonts.set_font("B", 13)
    pdf.cell(0, 8, fonts.prepare(heading), new_x="LMARGIN", new_y="NEXT")
    fonts.set_font("", 11)
    for paragraph in body[:2]:
        pdf.multi_cell(0, 6, fonts.prepare(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    for line in body[2:8]:
        pdf.cell(0, 6, fonts.prepare(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 6, fonts.prepare(body[8]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    top = pdf.get_y()
    if facts.signature_png:
        pdf.image(io.BytesIO(facts.signature_png), x=pdf.l_margin, y=top, h=20)
    pdf.set_y(top + 22)
    fonts.set_font("", 10)
    pdf.cell(100, 5, fonts.prepare(facts.signatory or facts.seller_name), new_x="LMARGIN", new_y="NEXT")
    if facts.signatory_title:
        pdf.cell(100, 5, fonts.prepare(facts.signatory_title), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(100, 5, fonts.prepare(on_behalf), new_x="LMARGIN", new_y="NEXT")
    _draw_qr(pdf, facts.verify_url, 210 - pdf.r_margin - QR_SIZE_MM, top, QR_SIZE_MM)
    pdf.set_y(top + QR_SIZE_MM + 8)
    fonts.set_font("", 9)
    pdf.multi_cell(0, 5, fonts.prepare(body[9]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
