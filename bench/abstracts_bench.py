"""Abstracts: what the call's heavy steps cost. Each part is a function returning its figure (seconds or
milliseconds); the last line is one JSON object with every part, null for a part not measured here yet:

    {"assign_s": …, "ranked_list_ms": …, "abstract_book_s": …}

* ``abstract_book_s``: the abstract book PDF (``abstracts.book_pdf.render_book``) of ``--abstracts`` accepted
  abstracts (default 1,500; goal under 60 s), made up without a database: ~250-word bodies, four authors
  each, one abstract in ten with names in another script (so Noto faces and shaping are in play), ten talks
  a session and the posters on boards, and the author index.

Assignment and the ranked list are added as functions of their own beside it (``parts`` in ``main``).
Not named ``bench/abstracts.py``: run as a script, that file would stand in for the ``abstracts`` package on
the import path (and mypy refuses two modules named ``abstracts``).

    .venv/bin/python bench/abstracts_bench.py [--abstracts 1500]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from abstracts.book_pdf import Book, BookEntry, BookSection, render_book

OTHER_SCRIPTS = ["Αλέξανδρος Παπαδόπουλος", "张伟", "محمد عبد الله", "अमिताभ बच्चन", "Александр Иванов"]
BODY = (
    "Background: lipid rafts organise signalling at the plasma membrane. Methods: we imaged 120 cells by "
    "super-resolution microscopy and measured cholesterol depletion with methyl-β-cyclodextrin. Results: "
    "raft size fell by 38 % (p < 0.01) and receptor clustering followed. Conclusions: rafts gate signalling. "
) * 5


def made_up_book(count: int) -> Book:
    """``count`` accepted abstracts: ten talks a session for the first half, posters on boards for the rest."""
    entries = []
    for number in range(1, count + 1):
        authors = [f"Author {number}-{i} Example" for i in range(3)]
        authors.append(OTHER_SCRIPTS[number % len(OTHER_SCRIPTS)] if number % 10 == 0 else f"Presenter {number}")
        poster = number > count // 2
        entries.append(
            BookEntry(
                number=number,
                title=f"Cholesterol-dependent clustering of receptors in lipid rafts, study {number}",
                authors=authors,
                institutions=["University of Examples", f"Institute {number % 40}"],
                body=BODY,
                slot=f"Poster, board P-{number:04d}" if poster else f"Talk {number % 10 + 1} · 12 min",
            )
        )
    talks, posters = entries[: count // 2], entries[count // 2 :]
    sections = [
        BookSection(f"Session {i // 10 + 1}", "8 June 2027, 09:00, Hall A", talks[i : i + 10])
        for i in range(0, len(talks), 10)
    ]
    sections.append(BookSection("Poster session", "9 June 2027, 12:00, Exhibit hall", posters))
    return Book("Annual Meeting 2027: abstracts", sections)


def abstract_book_s(count: int) -> float:
    book = made_up_book(count)
    started = time.perf_counter()
    pdf = render_book(book)
    elapsed = time.perf_counter() - started
    print(f"abstract book: {count} abstracts, {len(pdf) / 1e6:.1f} MB in {elapsed:.1f} s")
    return round(elapsed, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abstracts", type=int, default=1500)
    args = parser.parse_args()
    parts: dict[str, Callable[[], float] | None] = {
        "assign_s": None,
        "ranked_list_ms": None,
        "abstract_book_s": lambda: abstract_book_s(args.abstracts),
    }
    figures = {name: (part() if part is not None else None) for name, part in parts.items()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
