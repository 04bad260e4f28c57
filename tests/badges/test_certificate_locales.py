"""The certificate of attendance in the attendee's language: labels, days and figures by that locale; Chinese
prints in a CJK face (read back with pdftotext), not as empty boxes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from badges.certificate_pdf import CertificateData, CertificateLine, render_certificate
from podium.i18n import using_locale
from tests.pdf_reading import pdf_text


def _data(locale: str) -> CertificateData:
    return CertificateData(
        name="Li Wei",
        affiliation="Peking University",
        event_name="Annual Meeting 2027",
        event_dates="2027-06-07",
        venue="Lisbon",
        threshold_pct=80,
        lines=(
            CertificateLine(
                day="6月7日周一", time="09:00-10:30", title="Plenary", minutes=90, credit_hours=Decimal("1.50")
            ),
        ),
        total_credit_hours=Decimal("1.50"),
        issued_on=dt.date(2027, 6, 12),
        locale=locale,
    )


async def test_a_chinese_certificate_prints_chinese_labels() -> None:
    with using_locale("en"):
        text = "".join((await pdf_text(render_certificate(_data("zh_Hans")))).split())

    assert "参会证明" in text
    assert "兹证明" in text
    assert "总学时\N{FULLWIDTH COLON}1.5" in text
    assert "签发日期\N{FULLWIDTH COLON}2027年6月12日" in text
    assert "Certificate" not in text


async def test_a_french_certificate_writes_figures_and_dates_the_french_way() -> None:
    text = " ".join((await pdf_text(render_certificate(_data("fr")))).split())

    assert "Attestation de présence" in text
    assert "Total des heures de crédit : 1,5" in text
    assert "Délivré le 12 juin 2027" in text


async def test_an_english_certificate_keeps_its_wording() -> None:
    text = " ".join((await pdf_text(render_certificate(_data("en")))).split())

    assert "Certificate of attendance" in text
    assert "Total credit hours: 1.50" in text
    assert "Issued on 2027-06-12" in text
