"""Verification documents: an attendee of a verification category uploads proof through the order link; the
file's own bytes decide its type; bad, empty, oversized and extra files are refused with the field named;
another order's link opens nothing; organizers (not staff) download it safely; decisions close uploads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from podium.settings import Settings
from registration.models import StateChange, VerificationDocument
from registration.verification.uploads import MAX_BYTES, safe_filename
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def _order(client: Client, catalog: CatalogFixture, *people: dict[str, Any]) -> dict[str, Any]:
    placed = await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(*people))
    assert placed.status_code == 201, placed.text
    return placed.json()


def _student(email: str) -> dict[str, Any]:
    return attendee(email, category="student", member_number=None, verification_note="PhD student")


async def _upload(
    client: Client, order: dict[str, Any], index: int, name: str, content: bytes, secret: str | None = None
) -> httpx.Response:
    registration = order["registrations"][index]["id"]
    return await client.post(
        f"/api/orders/{order['id']}/registrations/{registration}/documents",
        files={"document": (name, content, "application/pdf")},
        headers={"X-Order-Secret": secret or order["secret"]},
    )


def assert_problem(response: httpx.Response, status: int, field: str, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    if code:
        assert response.json()["code"] == code


async def test_upload_list_and_download(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str], settings: Settings
) -> None:
    order = await _order(client, catalog, _student("ada@example.org"))
    uploaded = await _upload(client, order, 0, "../../etc/Student card (2027).PDF", PDF)
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert document["filename"] == "Student_card_2027_.pdf" or document["filename"].endswith(".pdf")
    assert "/" not in document["filename"] and document["content_type"] == "application/pdf"
    image = await _upload(client, order, 0, "card.pdf", PNG)  # named .pdf, is a PNG
    assert image.status_code == 201 and image.json()["content_type"] == "image/png"
    assert image.json()["filename"] == "card.png"

    registration_id = order["registrations"][0]["id"]
    listing = await client.get(
        f"/api/events/{catalog.slug}/verification-documents",
        params={"registration_id": registration_id},
        headers=organizer,
    )
    assert [d["filename"] for d in listing.json()] == [document["filename"], "card.png"]
    url = f"/api/events/{catalog.slug}/verification-documents/{document['id']}"
    download = await client.get(url, headers=organizer)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(url, headers=staff)).status_code == 403
    assert (await client.get(url)).status_code in (401, 403)
    order_view = await client.get(f"/api/orders/{order['id']}", headers={"X-Order-Secret": order["secret"]})
    assert order_view.json()["registrations"][0]["verification_documents"] == [document["filename"], "card.png"]
    async with db_session_for(settings) as db_session:
        notes = (
            await db_session.scalars(select(StateChange.note).where(StateChange.entity_id == registration_id))
        ).all()
    assert any("verification document uploaded" in n for n in notes)


async def test_bad_files_are_refused_and_nothing_is_written(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await _order(client, catalog, _student("grace@example.org"), attendee("alan@example.org"))
    other = await _order(client, catalog, _student("kurt@example.org"))

    assert_problem(await _upload(client, order, 0, "x.pdf", b"<html><script>alert(1)</script>"), 422, "document")
    assert_problem(await _upload(client, order, 0, "x.pdf", b""), 422, "document")
    big = await _upload(client, order, 0, "big.pdf", PDF + b"0" * MAX_BYTES)
    assert_problem(big, 413, "document", "document_too_large")
    assert_problem(await _upload(client, order, 1, "x.pdf", PDF), 409, "registration_id", "verification_not_required")
    assert_problem(await _upload(client, order, 0, "x.pdf", PDF, secret=other["secret"]), 404, "order")
    missing_field = await client.post(
        f"/api/orders/{order['id']}/registrations/{order['registrations'][0]['id']}/documents",
        files={"file": ("x.pdf", PDF, "application/pdf")},
        headers={"X-Order-Secret": order["secret"]},
    )
    assert missing_field.status_code in (400, 422) and "document" in missing_field.text
    async with db_session_for(settings) as db_session:
        stored = await db_session.scalar(
            select(func.count()).where(VerificationDocument.registration_id == order["registrations"][0]["id"])
        )
    assert stored == 0

    for _ in range(3):
        assert (await _upload(client, order, 0, "ok.pdf", PDF)).status_code == 201
    assert_problem(await _upload(client, order, 0, "fourth.pdf", PDF), 409, "document", "too_many")


async def test_uploads_close_once_an_organizer_decides(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await _order(client, catalog, _student("emmy@example.org"))
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert (await _upload(client, order, 0, "proof.pdf", PDF)).status_code == 201
    registration_id = order["registrations"][0]["id"]
    decided = await client.post(
        f"/api/events/{catalog.slug}/registrations/{registration_id}/verification",
        json={"decision": "approve"},
        headers=organizer,
    )
    assert decided.status_code == 200, decided.text
    assert_problem(await _upload(client, order, 0, "late.pdf", PDF), 409, "registration_id", "verification_closed")


async def test_a_document_instead_of_a_stated_reason(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    """Proof is a stated reason or a document: an order may state none and upload a document later, and an
    organizer can't approve a registration with neither."""
    student = attendee("noether@example.org", category="student", member_number=None)
    order = await _order(client, catalog, student)
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    url = f"/api/events/{catalog.slug}/registrations/{order['registrations'][0]['id']}/verification"

    too_early = await client.post(url, json={"decision": "approve"}, headers=organizer)
    assert (await _upload(client, order, 0, "student-card.pdf", PDF)).status_code == 201
    approved = await client.post(url, json={"decision": "approve"}, headers=organizer)

    assert order["registrations"][0]["needs_verification"] is True
    assert_problem(too_early, 409, "registration_id", "nothing_to_verify")
    assert approved.status_code == 200, approved.text


def test_filenames_lose_paths_and_odd_characters() -> None:
    assert safe_filename("C:\\Users\\me\\Résumé final.docx.pdf", ".pdf") == "Resume_final.docx.pdf"
    assert safe_filename("../../", ".png") == "document.png"
    assert safe_filename("李.jpg", ".jpg") == "document.jpg"
