"""The certificate of attendance as a PDF, a pure function of what it prints (callers run it off the event loop);
it sets text the way badges do (``badges.pdf.Doc``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from badges.pdf import Doc


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


def render_certificate(data: CertificateData) -> bytes:
    """The certificate of attendance: sessions the attendee was scanned into, and the credit hours earned."""
    texts = [data.name, data.affiliation, data.event_name, data.venue, data.event_dates]
    texts += [text for entry in data.lines for text in (entry.day, entry.time, entry.title)]
    doc = Doc((210, 297), texts)
    pdf, fonts = doc.pdf, doc.fonts
    pdf.set_title(fonts.prepare(f"Certificate of attendance: {data.name}"))
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

    line("Certificate of attendance", "B", 24, 14)
    pdf.ln(6)
    line("This certifies that", size=12)
    doc.fitted(data.name, "B", 22, width)
    pdf.set_x(20)
    cell(width, 12, data.name, "C", last=True)
    if data.affiliation:
        line(data.affiliation, size=12)
    line("attended", size=12)
    line(data.event_name, "B", 16, 10)
    line(f"{data.venue}, {data.event_dates}", size=11)
    pdf.ln(6)
    line(f"Total credit hours: {data.total_credit_hours}", "B", 14, 9)
    line(
        f"Credit is given for sessions attended for at least {data.threshold_pct} % of their length, "
        "as recorded by badge scans at the room doors.",
        size=9,
    )
    pdf.ln(4)
    fonts.set_font("B", 9)
    for text, w, align in (("Day", 32, "L"), ("Time", 26, "L"), ("Session", 80, "L"), ("Min.", 14, "R")):
        cell(w, 6, text, align, border="B")
    cell(18, 6, "Credit", "R", border="B", last=True)
    fonts.set_font("", 9)
    for entry in data.lines:
        title = entry.title if len(entry.title) <= 48 else entry.title[:47] + fonts.ellipsis
        cell(32, 6, entry.day)
        cell(26, 6, entry.time)
        cell(80, 6, title)
        cell(14, 6, str(entry.minutes), "R")
        cell(18, 6, str(entry.credit_hours), "R", last=True)
    if not data.lines:
        line("No session attendance was recorded.", size=10, align="L")
    pdf.ln(8)
    line(f"Issued on {data.issued_on:%Y-%m-%d}", size=9, align="L")
    return bytes(pdf.output())
