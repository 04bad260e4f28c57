"""A visa letter in the attendee's language: its sentences, the country's name, dates and fee by that locale."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import anyio
import pytest

from podium.i18n import using_locale
from registration.letters.pdf import LetterFacts, render_letter
from registration.letters.sealing import PassportData


async def pdf_text(pdf: bytes, folder: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing: install the Debian package poppler-utils to check the PDF's text")
    path = folder / "letter.pdf"
    path.write_bytes(pdf)
    return (await anyio.run_process(["pdftotext", "-layout", str(path), "-"])).stdout.decode()


def _facts(locale: str) -> LetterFacts:
    return LetterFacts(
        seller_name="Society of Examples",
        seller_address="1 Main St",
        event_name="Annual Meeting 2027",
        start_date=dt.date(2027, 6, 7),
        end_date=dt.date(2027, 6, 11),
        venue="Convention Center",
        city="Lisbon",
        brand_colour=None,
        logo_png=None,
        passport=PassportData(
            passport_name="Ana Pérez", nationality="MX", passport_number="X1234567", date_of_birth=dt.date(1990, 2, 3)
        ),
        embassy_city="Mexico City",
        category="Member",
        add_ons=["Workshop"],
        fee_paid=123_450,
        currency="EUR",
        signature_png=None,
        signatory="Grace Hopper",
        code="ABCD-EFGH",
        verify_url="https://example.org/letters/ABCD-EFGH",
        issued_on=dt.date(2027, 3, 1),
        locale=locale,
    )


async def test_a_spanish_letter_reads_spanish_with_local_dates_and_money(tmp_path: Path) -> None:
    with using_locale("en"):  # the organizer downloading it browses in English
        text = " ".join((await pdf_text(render_letter(_facts("es")), tmp_path)).split())

    assert "Carta de invitación para visado" in text
    assert "A la Embajada o el Consulado en Mexico City" in text
    assert "Nacionalidad: México" in text
    assert "Fecha de nacimiento: 3 de febrero de 1990" in text
    assert "Inscripción: Member, con Workshop" in text
    assert re.search(r"Cuota de inscripción pagada: 1\.234,50\s€", text) is not None
    assert "lunes, 7 de junio de 2027" in text
    assert "Visa invitation letter" not in text


async def test_a_chinese_letter_prints_chinese_text(tmp_path: Path) -> None:
    text = "".join((await pdf_text(render_letter(_facts("zh_Hans")), tmp_path)).split())

    assert "签证邀请函" in text
    assert "国籍\N{FULLWIDTH COLON}墨西哥" in text
    assert "护照号码\N{FULLWIDTH COLON}X1234567" in text
