"""The abstract book PDF, read back with pdftotext: every accepted abstract's title and authors, in session
order with talks in position, names in other scripts, and the author index with abstract numbers."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import update

from abstracts.book_pdf import Book, BookEntry, BookSection, author_index, render_book
from abstracts.models import AbstractAuthor
from podium.settings import Settings
from tests.abstracts.decision_factories import build_call
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import create_session


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "book.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


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

    response = await client.get(f"{base}/book.pdf", headers=organizer)
    as_staff = await client.get(f"{base}/book.pdf")

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
    assert as_staff.status_code == 401


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
