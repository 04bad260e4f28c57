"""The abstract book PDF, read back with pdftotext: every accepted abstract's title and authors, in session
order with talks in position, names in other scripts, Greek and math symbols, long words wrapped inside the
column, and the author index with abstract numbers; built by a job that a second request joins."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import update

from abstracts.book_builds import BUILD_BOOKS_JOB, STALE_AFTER
from abstracts.book_jobs import claim_build
from abstracts.book_models import AbstractBook
from abstracts.book_pdf import MARGIN, Book, BookEntry, BookSection, author_index, render_book
from abstracts.models import AbstractAuthor
from podium.db import utcnow
from podium.pdf_fonts import DEJAVU
from podium.settings import Settings
from tests.abstracts.decision_factories import build_call
from tests.asgi_client import Client
from tests.podium.test_jobs import run_once_queued
from tests.registration.factories import db_session_for
from tests.sessions.factories import create_session


def text_of(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing: install the Debian package poppler-utils to check the PDF's text")
    path = tmp_path / "book.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def build_asked_books(settings: Settings) -> None:
    """Run the book job the requests queued (``run_once_queued``: on PostgreSQL it is queued after the commit)."""
    await run_once_queued(settings, BUILD_BOOKS_JOB)


async def test_the_book_lists_sessions_talks_posters_and_an_author_index(
    client: Client, organizer: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    call = await build_call(settings, abstracts=4)
    first, second, third, fourth = call.abstracts
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(AbstractAuthor)
            .where(AbstractAuthor.abstract_id == second, AbstractAuthor.position == 0)
            .values(full_name="Zoë Ångström")
        )
        await db_session.commit()
    base = f"/api/organizer/events/{call.slug}/abstracts"
    for ids, outcome in (([first, second], "accepted_oral"), ([third], "accepted_poster"), ([fourth], "rejected")):
        await client.post(
            f"{base}/decisions", json={"abstract_ids": [str(i) for i in ids], "outcome": outcome}, headers=organizer
        )
    talks = await create_session(client, organizer, call.event, title="Membrane biology")
    posters = await create_session(client, organizer, call.event, title="Poster walk", kind="poster_session")
    await client.put(
        f"{base}/program/{talks}/talks",
        json={"talks": [{"abstract_id": str(second), "minutes": 15}, {"abstract_id": str(first), "minutes": 15}]},
        headers=organizer,
    )
    await client.put(
        f"{base}/program/{posters}/posters",
        json={"posters": [{"abstract_id": str(third), "board": "P-07"}]},
        headers=organizer,
    )

    never_asked = await client.get(f"{base}/book", headers=organizer)
    asked = await client.post(f"{base}/book", headers=organizer)
    joined = await client.post(f"{base}/book", headers=organizer)
    too_early = await client.get(f"{base}/book.pdf", headers=organizer)
    await build_asked_books(settings)
    state = await client.get(f"{base}/book", headers=organizer)
    response = await client.get(f"{base}/book.pdf", headers=organizer)
    as_staff = await client.get(f"{base}/book.pdf")
    asked_by_staff = await client.post(f"{base}/book")

    assert never_asked.status_code == 404 and never_asked.json()["field"] == "book"
    assert (asked.status_code, asked.json()["state"], asked.json()["joined"]) == (202, "queued", False)
    assert (joined.status_code, joined.json()["joined"]) == (202, True)
    assert joined.json()["requested_at"] == asked.json()["requested_at"]
    assert (too_early.status_code, too_early.json()["code"]) == (409, "book_not_ready")
    assert state.json()["state"] == "done" and state.json()["abstracts"] == 3
    assert state.json()["pdf_url"] == f"{base}/book.pdf" and state.json()["size"] == len(response.content)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = text_of(response.content, tmp_path)
    assert "Program Test Meeting: abstracts" in text
    order = [text.index(s) for s in ("Membrane biology", "2. Abstract number 2", "1. Abstract number 1", "Poster walk")]
    assert order == sorted(order)
    assert "3. Abstract number 3 on lipid rafts" in text and "Poster, board P-07" in text
    assert "Abstract number 4" not in text  # rejected
    assert "Zoë Ångström, Presenting Author 2" in text
    index = text[text.index("Author index") :]
    assert "First Author 1 1" in index and "Zoë Ångström 2" in index and "Presenting Author 3 3" in index
    assert (as_staff.status_code, asked_by_staff.status_code) == (401, 401)


async def test_asking_again_after_a_finished_book_builds_a_new_one(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=2)
    base = f"/api/organizer/events/{call.slug}/abstracts"
    await client.post(
        f"{base}/decisions",
        json={"abstract_ids": [str(call.abstracts[0])], "outcome": "accepted_poster"},
        headers=organizer,
    )
    await client.post(f"{base}/book", headers=organizer)
    await build_asked_books(settings)
    await client.post(
        f"{base}/decisions",
        json={"abstract_ids": [str(call.abstracts[1])], "outcome": "accepted_poster"},
        headers=organizer,
    )

    again = await client.post(f"{base}/book", headers=organizer)
    waiting = await client.get(f"{base}/book.pdf", headers=organizer)
    await build_asked_books(settings)
    state = await client.get(f"{base}/book", headers=organizer)

    assert (again.json()["state"], again.json()["joined"]) == ("queued", False)
    assert waiting.status_code == 409
    assert (state.json()["state"], state.json()["abstracts"]) == ("done", 2)


async def test_a_build_left_running_by_a_stopped_worker_is_taken_up_again(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=1)
    base = f"/api/organizer/events/{call.slug}/abstracts"
    await client.post(f"{base}/book", headers=organizer)
    async with db_session_for(settings) as db_session:
        claimed = await claim_build(db_session)  # a worker takes it, then stops
        fresh_join = await client.post(f"{base}/book", headers=organizer)
        await db_session.execute(
            update(AbstractBook).values(started_at=utcnow() - STALE_AFTER - dt.timedelta(minutes=1))
        )
        await db_session.commit()

    await build_asked_books(settings)
    state = await client.get(f"{base}/book", headers=organizer)

    assert claimed is not None and claimed[2] == call.slug
    assert (fresh_join.json()["state"], fresh_join.json()["joined"]) == ("running", True)
    assert (state.json()["state"], state.json()["abstracts"]) == ("done", 0)


def test_greek_letters_and_math_symbols_print(tmp_path: Path) -> None:
    if not any(path.exists() for path in DEJAVU):
        pytest.skip("DejaVu Sans missing: install the Debian package fonts-dejavu-core for the mathematical symbols")
    symbols = "α β γ Δ μ ± ≤ ≥ × ° √ ∞ ∑"  # noqa: RUF001  # the Greek letters and signs are the point
    book = Book("Symbols", [BookSection("Session", "", [BookEntry(1, "Δ in μm", ["Ann Author"], [], symbols, "Talk")])])

    text = text_of(render_book(book), tmp_path)

    # pdftotext drops the spaces between glyphs of the fallback face; without it ≤ ≥ √ ∞ ∑ were missing.
    assert "".join(symbols.split()) in "".join(text.split()) and "Δ in μm" in text


def test_long_words_and_urls_wrap_inside_the_column(tmp_path: Path) -> None:
    url = "https://example.org/" + "/".join(f"segment{i}" for i in range(30)) + "?query=1&more=2"
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4
    entry = BookEntry(1, word, ["Ann"], [], f"See {url} and {word}.", "")
    book = Book("Wrapping", [BookSection("Session", "", [entry])])
    path = tmp_path / "book.pdf"
    path.write_bytes(render_book(book))

    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    right_edges = [float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes)]
    words = re.findall(r">([^<]+)</word>", boxes)

    column_right = (210 - MARGIN) / 25.4 * 72  # points
    assert max(right_edges) <= column_right + 0.5
    assert "".join(w for w in words if w.startswith("https") or "segment" in w).startswith(url[:60])
    assert "".join(words).count("Pneumonoultramicroscopicsilicovolcanoconiosis") == 8
    assert any(w.endswith("/") for w in words)  # the URL broke after a slash


def test_names_in_other_scripts_print_and_the_index_sorts_them(tmp_path: Path) -> None:
    names = ["Ωmega Papadopoulou", "李小龙", "محمد علي", "अनन्या शर्मा", "ada Lovelace"]
    book = Book(
        "Scripts",
        [
            BookSection(
                "Session", "", [BookEntry(7, "Τίτλος στα ελληνικά", names, ["Université"], "Texte µ ± °C", "Talk")]
            )
        ],
    )

    text = text_of(render_book(book), tmp_path)

    for shown in ("Τίτλος στα ελληνικά", "李小龙", "Ωmega Papadopoulou", "Texte µ ± °C"):
        assert shown in text
    assert next(name for name, _ in author_index(book)) == "ada Lovelace"
    assert all(numbers == ["7"] for _, numbers in author_index(book))
