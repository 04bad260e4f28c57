"""The certificate of attendance as a PDF, a pure function of what it prints (callers run it off the event loop);
it sets text the way badges do (``badges.pdf.Doc``), in the attendee's language (``CertificateData.locale``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from babel import dates

from badges.pdf import Doc
from podium.formatting import format_number
from podium.i18n import DEFAULT_LOCALE, gettext, using_locale


@dataclass(frozen=True)
class CertificateLine:
    day: str
    time: str
    title: str
    minutes: int
    credit_hours: Decimal


@dataclass(frozen=True)
class CertificateData:
    name: str
    affiliation: str
    event_name: str
    event_dates: str
    venue: str
    threshold_pct: int
    lines: tuple[CertificateLine, ...]
    total_credit_hours: Decimal
    issued_on: dt.date
    locale: str = DEFAULT_LOCALE  # the registration's: labels, dates and figures read in it


def render_certificate(data: CertificateData) -> bytes:
    """The certificate of attendance: sessions the attendee was scanned into, and the credit hours earned."""
    with using_locale(data.locale) as locale:
        return _render(data, locale)


def _figure(value: int | Decimal, locale: str) -> str:
    """Minutes and credit hours as the reader writes numbers (``1,5`` in ``fr``); English keeps ``1.50``."""
    return str(value) if locale == DEFAULT_LOCALE else format_number(value)


def _render(data: CertificateData, locale: str) -> bytes:
    issued = f"{data.issued_on:%Y-%m-%d}"
    if locale != DEFAULT_LOCALE:
        issued = dates.format_date(data.issued_on, "long", locale=locale)
    labels = {
        "heading": gettext("Certificate of attendance"),
        "certifies": gettext("This certifies that"),
        "attended": gettext("attended"),
        "total": gettext("Total credit hours: %(hours)s") % {"hours": _figure(data.total_credit_hours, locale)},
        "rule": gettext(
            "Credit is given for sessions attended for at least %(pct)s %% of their length, "
            "as recorded by badge scans at the room doors."
        )
        % {"pct": data.threshold_pct},
        "day": gettext("Day"),
        "time": gettext("Time"),
        "session": gettext("Session"),
        "minutes": gettext("Min."),
        "credit": gettext("Credit"),
        "none": gettext("No session attendance was recorded."),
        "issued": gettext("Issued on %(date)s") % {"date": issued},
    }
    texts = [data.name, data.affiliation, data.event_name, data.venue, data.event_dates, *labels.values()]
    texts += [text for entry in data.lines for text in (entry.day, entry.time, entry.title)]
    doc = Doc((210, 297), texts)
    pdf, fonts = doc.pdf, doc.fonts
    pdf.set_title(fonts.prepare(f"{labels['heading']}: {data.name}"))
    pdf.set_creation_date(dt.datetime.combine(data.issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    width = 170

    def cell(w: float, h: float, text: str, align: str = "L", border: str = "", last: bool = False) -> None:
        if last:
            pdf.cell(w, h, fonts.prepare(text), border=border, align=align, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.cell(w, h, fonts.prepare(text), border=border, align=align)

    def line(text: str, style: str = "", size: float = 11, height: float = 7, align: str = "C") -> None:
        fonts.set_font(style, size)
        pdf.set_x(20)
        cell(width, height, text, align, last=True)

    line(labels["heading"], "B", 24, 14)
    pdf.ln(6)
    line(labels["certifies"], size=12)
    doc.fitted(data.name, "B", 22, width)
    pdf.set_x(20)
    cell(width, 12, data.name, "C", last=True)
    if data.affiliation:
        line(data.affiliation, size=12)
    line(labels["attended"], size=12)
    line(data.event_name, "B", 16, 10)
    line(f"{data.venue}, {data.event_dates}", size=11)
    pdf.ln(6)
    line(labels["total"], "B", 14, 9)
    line(labels["rule"], size=9)
    pdf.ln(4)
    fonts.set_font("B", 9)
    for key, w, align in (("day", 32, "L"), ("time", 26, "L"), ("session", 80, "L"), ("minutes", 14, "R")):
        cell(w, 6, labels[key], align, border="B")
    cell(18, 6, labels["credit"], "R", border="B", last=True)
    fonts.set_font("", 9)
    for entry in data.lines:
        title = entry.title if len(entry.title) <= 48 else entry.title[:47] + fonts.ellipsis
        cell(32, 6, entry.day)
        cell(26, 6, entry.time)
        cell(80, 6, title)
        cell(14, 6, _figure(entry.minutes, locale), "R")
        cell(18, 6, _figure(entry.credit_hours, locale), "R", last=True)
    if not data.lines:
        line(labels["none"], size=10, align="L")
    pdf.ln(8)
    line(labels["issued"], size=9, align="L")
    return bytes(pdf.output())
