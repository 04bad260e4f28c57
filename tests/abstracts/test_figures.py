"""An abstract's figure: uploaded by its submitter (PNG or JPEG judged by content, re-encoded without
metadata), replaced and removed until the deadline; shown to its assigned reviewers, to everyone after the
embargo, and printed in the abstract book; never to anyone else."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any
from uuid import UUID

from PIL import Image, PngImagePlugin
from sqlalchemy import select, update

from abstracts.book_pdf import Book, BookEntry, BookSection, render_book
from abstracts.models import AbstractFigure, CallForAbstracts
from events.models import Event
from podium.settings import Settings
from tests.abstracts.factories import Person, complete_abstract, make_event, make_submitter, open_call
from tests.abstracts.review_factories import add_abstract, build_review_call, make_person
from tests.abstracts.test_public_list import accepted_call, lift_embargo
from tests.abstracts.test_submission_pages import HTML
from tests.asgi_client import Client
from tests.page_forms import csrf_of
from tests.registration.factories import db_session_for


def png(width: int = 40, height: int = 30, *, text: dict[str, str] | None = None, trailer: bytes = b"") -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue() + trailer


def jpeg_with_exif(artist: str) -> bytes:
    exif = Image.Exif()
    exif[0x013B] = artist  # Artist
    out = io.BytesIO()
    Image.new("RGB", (50, 20), (10, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


async def _draft(client: Client, organizer: dict[str, str], settings: Settings) -> tuple[str, str, Person]:
    slug, _ = await make_event(settings)
    call = await open_call(client, organizer, slug)
    ada = await make_submitter(settings)
    body = complete_abstract(call, ada)
    response = await client.post(f"/api/events/{slug}/abstracts", json=body, headers=ada.headers)
    assert response.status_code == 201, response.text
    return slug, response.json()["id"], ada


async def _put(client: Client, abstract_id: str, person: Person, content: bytes, name: str, kind: str) -> Any:
    return await client.put(
        f"/api/abstracts/{abstract_id}/figure", files={"figure": (name, content, kind)}, headers=person.headers
    )


async def _store(settings: Settings, abstract_id: UUID, content: bytes) -> None:
    async with db_session_for(settings) as db_session:
        db_session.add(
            AbstractFigure(
                abstract_id=abstract_id,
                filename="secret-author-name.png",
                content_type="image/png",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
        await db_session.commit()


async def test_a_figure_is_stored_re_encoded_without_metadata_replaced_and_removed(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    _slug, abstract_id, ada = await _draft(client, organizer, settings)
    tagged = png(text={"Author": "Ada Lovelace"}, trailer=b"<html><script>alert(1)</script></html>")

    # Declared as a JPEG, named .jpg: judged by its content, it is a PNG.
    uploaded = await _put(client, abstract_id, ada, tagged, "My figure.jpg", "image/jpeg")
    served = await client.get(f"/api/abstracts/{abstract_id}/figure", headers=ada.headers)
    replaced = await _put(client, abstract_id, ada, jpeg_with_exif("Ada Lovelace"), "photo.jpeg", "image/png")
    served_jpeg = await client.get(f"/api/abstracts/{abstract_id}/figure", headers=ada.headers)
    removed = await client.delete(f"/api/abstracts/{abstract_id}/figure", headers=ada.headers)
    after = await client.get(f"/api/abstracts/{abstract_id}", headers=ada.headers)
    gone = await client.get(f"/api/abstracts/{abstract_id}/figure", headers=ada.headers)

    assert uploaded.status_code == 200, uploaded.text
    figure = uploaded.json()["figure"]
    assert (figure["filename"], figure["content_type"]) == ("My figure.png", "image/png")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert figure["size"] == len(served.content)
    assert b"Ada Lovelace" not in served.content and b"<script" not in served.content
    assert Image.open(io.BytesIO(served.content)).size == (40, 30)
    assert replaced.json()["figure"]["content_type"] == "image/jpeg"
    assert served_jpeg.headers["content-type"] == "image/jpeg" and b"Ada Lovelace" not in served_jpeg.content
    assert not Image.open(io.BytesIO(served_jpeg.content)).getexif()
    assert removed.status_code == 204
    assert after.json()["figure"] is None
    assert gone.status_code == 404


async def test_wrong_files_are_refused_naming_the_field(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    _slug, abstract_id, ada = await _draft(client, organizer, settings)
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    cases = {
        "html named png": (b"<html><script>alert(1)</script></html>", "figure.png", "image/png"),
        "gif": (gif.getvalue(), "figure.png", "image/png"),
        "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "f.svg", "image/svg+xml"),
        "png header, no image": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "figure.png", "image/png"),
        "empty": (b"", "figure.png", "image/png"),
        "too many pixels": (png(4001, 2), "wide.png", "image/png"),
        "over 5 MB": (png() + b"\x00" * (5 * 1024 * 1024), "big.png", "image/png"),
    }

    answers = {case: await _put(client, abstract_id, ada, *upload) for case, upload in cases.items()}

    assert {case: (r.status_code, r.json()["field"]) for case, r in answers.items()} == {
        "html named png": (422, "figure"),
        "gif": (422, "figure"),
        "svg": (422, "figure"),
        "png header, no image": (422, "figure"),
        "empty": (422, "figure"),
        "too many pixels": (422, "figure"),
        "over 5 MB": (413, "figure"),
    }
    assert answers["html named png"].json()["code"] == "unsupported_figure"
    assert (await client.get(f"/api/abstracts/{abstract_id}", headers=ada.headers)).json()["figure"] is None


async def test_another_submitters_figure_is_not_found_and_the_deadline_ends_changes(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, abstract_id, ada = await _draft(client, organizer, settings)
    assert (await _put(client, abstract_id, ada, png(), "f.png", "image/png")).status_code == 200
    eve = await make_submitter(settings, "Eve Other")

    answers = [
        await client.get(f"/api/abstracts/{abstract_id}/figure", headers=eve.headers),
        await _put(client, abstract_id, eve, png(), "f.png", "image/png"),
        await client.delete(f"/api/abstracts/{abstract_id}/figure", headers=eve.headers),
        await client.get(f"/api/abstracts/{abstract_id}/figure"),
    ]
    async with db_session_for(settings) as db_session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        await db_session.execute(
            update(CallForAbstracts)
            .where(CallForAbstracts.event_id == select(Event.id).where(Event.slug == slug).scalar_subquery())
            .values(opens_at=past - dt.timedelta(days=1), closes_at=past)
        )
        await db_session.commit()
    late = [
        await _put(client, abstract_id, ada, png(), "f.png", "image/png"),
        await client.delete(f"/api/abstracts/{abstract_id}/figure", headers=ada.headers),
    ]

    assert [r.status_code for r in answers] == [404, 404, 404, 401]
    assert [(r.status_code, r.json()["code"]) for r in late] == [(409, "deadline_passed")] * 2
    assert (await client.get(f"/api/abstracts/{abstract_id}/figure", headers=ada.headers)).status_code == 200


async def test_assigned_reviewers_see_the_image_only_and_others_nothing(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    abstract_id = await add_abstract(settings, built, submitter, number=1)
    await _store(settings, abstract_id, png())
    api = f"/api/organizer/events/{built.slug}/review"
    assigned, other = await make_person(settings, "Rita Reviewer"), await make_person(settings, "Otto Other")
    reviewer_ids = [
        (await client.post(f"{api}/reviewers", json={"email": person.email}, headers=organizer)).json()["id"]
        for person in (assigned, other)
    ]
    assignment = await client.post(
        f"{api}/assignments", json={"abstract_id": str(abstract_id), "reviewer_id": reviewer_ids[0]}, headers=organizer
    )
    assert assignment.status_code == 201, assignment.text
    base = f"/api/review/events/{built.slug}/abstracts/{abstract_id}"

    read = await client.get(base, headers=assigned.headers)
    image = await client.get(f"{base}/figure", headers=assigned.headers)
    refused = await client.get(f"{base}/figure", headers=other.headers)

    assert read.status_code == 200, read.text
    assert read.json()["figure_url"] == f"{base}/figure"
    assert "secret-author-name" not in read.text and "secret-author-name" not in str(image.headers)
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
    assert refused.status_code == 404


async def test_the_public_sees_an_accepted_figure_only_after_the_embargo(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await accepted_call(client, organizer, settings)
    oral, _poster, rejected, _submitted = call.abstracts
    for abstract_id in (oral, rejected):
        await _store(settings, abstract_id, png())
    public = f"/api/events/{call.slug}/accepted-abstracts"

    before = await client.get(f"{public}/{oral}/figure")
    await lift_embargo(settings, call.call_id)
    after = await client.get(f"{public}/{oral}/figure")
    of_rejected = await client.get(f"{public}/{rejected}/figure")
    listed = {a["id"]: a["figure_url"] for a in (await client.get(public)).json()["abstracts"]}

    assert before.status_code == 404
    assert (after.status_code, after.headers["content-type"]) == (200, "image/png")
    assert of_rejected.status_code == 404
    assert listed == {str(oral): f"{public}/{oral}/figure", str(call.abstracts[1]): None}


def test_the_book_prints_a_figure(tmp_path: Path) -> None:
    entry = BookEntry(1, "With a figure", ["Ann"], [], "Body.", "Talk", figure=png(400, 300))
    path = tmp_path / "book.pdf"
    path.write_bytes(render_book(Book("Figures", [BookSection("Session", "", [entry])])))

    listed = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout

    assert [line.split()[3:5] for line in listed.splitlines()[2:]] == [["400", "300"]]


async def test_the_submission_page_uploads_shows_and_removes_the_figure(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    _slug, abstract_id, ada = await _draft(client, organizer, settings)
    page_url = f"/submissions/{abstract_id}"
    headers = {**HTML, **ada.headers}
    token = csrf_of((await client.get(page_url, headers=headers)).text)

    wrong = await client.post(
        f"{page_url}/figure",
        data={"_csrf_token": token},
        files={"figure": ("fig.png", b"<html></html>", "image/png")},
        headers=headers,
    )
    uploaded = await client.post(
        f"{page_url}/figure",
        data={"_csrf_token": token},
        files={"figure": ("fig.png", png(), "image/png")},
        headers=headers,
    )
    shown = await client.get(f"{page_url}?figure=1", headers=headers)
    removed = await client.post(f"{page_url}/figure/delete", data={"_csrf_token": token}, headers=headers)
    after = await client.get(page_url, headers=headers)

    assert wrong.status_code == 422 and 'id="e-figure"' in wrong.text and 'href="#f-figure"' in wrong.text
    assert uploaded.status_code == 303 and uploaded.headers["location"] == f"{page_url}?figure=1#figure"
    assert f'src="/api/abstracts/{abstract_id}/figure?v=' in shown.text and "The figure was saved." in shown.text
    assert removed.status_code == 303
    assert "No figure (optional)." in after.text and f"/api/abstracts/{abstract_id}/figure" not in after.text
