"""Abstracts: what the call's heavy steps cost. Each part is a function returning its figure (seconds or
milliseconds); the last line is one JSON object with every part:

    {"assign_s": …, "ranked_list_ms": …, "abstract_book_s": …}

* ``abstract_book_s``: the abstract book PDF (``abstracts.book_pdf.render_book``) of ``--abstracts`` accepted
  abstracts (default 1,500; goal under 60 s), made up without a database: ~250-word bodies, four authors
  each, one abstract in ten with names in another script (so Noto faces and shaping are in play), ten talks
  a session and the posters on boards, and the author index.

* ``assign_s`` and ``ranked_list_ms`` run on their own PostgreSQL database (``--server``; dropped afterwards)
  seeded by ``podium seed-demo``'s code with ``--call-abstracts`` abstracts (default 3,000) and
  ``--reviewers`` (300), assigned and mostly reviewed. ``ranked_list_ms``: the organizers' ranked list of
  one topic (``abstracts.review_reports.ranking``, the service behind the API), median over every topic
  and ``--rounds`` rounds (goal under 200 ms). ``assign_s``: every assignment deleted, then the organizers'
  automatic assignment (``abstracts.review_assignments.auto_assign``: read the facts, plan 3 reviewers per
  abstract without conflicts, insert, commit), median of ``--rounds`` (goal under 5 s).
Not named ``bench/abstracts.py``: run as a script, that file would stand in for the ``abstracts`` package on
the import path (and mypy refuses two modules named ``abstracts``).

    .venv/bin/python bench/abstracts_bench.py [--abstracts 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import make_url

from abstracts.book_pdf import Book, BookEntry, BookSection, render_book
from abstracts.models import CallForAbstracts, ReviewAssignment, Reviewer, Topic
from abstracts.review_assignments import auto_assign
from abstracts.review_reports import ranking
from demo.seed import DemoSize, seed_demo
from podium.db import create_engine, session_maker
from podium.heap import freeze_startup_heap
from podium.main.cli import migrate
from podium.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from program import SLUG, admin, analyze

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


async def ranked_list_ms(settings: Settings, rounds: int) -> float:
    # As in a serving worker, which freezes its startup heap (podium.heap): without it, the full collections
    # that reading ~9,000 score rows sets off walk this process's whole heap, and they took 120-150 ms of some
    # lists (median 189 ms against 71 ms frozen, on the same database).
    freeze_startup_heap(settings)
    engine = create_engine(settings)
    samples = []
    try:
        async with session_maker(engine)() as db_session:
            topics = (await db_session.scalars(select(Topic.id).order_by(Topic.position))).all()
        for _ in range(rounds):
            for topic in topics:
                async with session_maker(engine)() as db_session:
                    started = time.perf_counter()
                    groups = await ranking(db_session, SLUG, topic_id=topic)
                    samples.append(time.perf_counter() - started)
                    assert groups, "a topic without a ranked list"
    finally:
        await engine.dispose()
    median = statistics.median(samples) * 1000
    print(f"ranked list of one topic: median {median:.1f} ms over {len(samples)} lists")
    return round(median, 1)


async def assign_s(settings: Settings, rounds: int) -> float:
    engine = create_engine(settings)
    samples = []
    try:
        for _ in range(rounds):
            async with session_maker(engine)() as db_session:
                call_id = await db_session.scalar(select(CallForAbstracts.id))
                reviewers = select(Reviewer.id).where(Reviewer.call_id == call_id)
                await db_session.execute(delete(ReviewAssignment).where(ReviewAssignment.reviewer_id.in_(reviewers)))
                await db_session.commit()
            async with session_maker(engine)() as db_session:
                started = time.perf_counter()
                result = await auto_assign(db_session, SLUG)
                await db_session.commit()
                samples.append(time.perf_counter() - started)
            print(f"automatic assignment: {result.added} assignments, {len(result.shortfalls)} short")
    finally:
        await engine.dispose()
    return round(statistics.median(samples), 2)


def on_seeded_database(server: str, abstracts: int, reviewers: int, rounds: int) -> tuple[float, float]:
    """(ranked list ms, assignment s) on a database of their own, seeded as ``podium seed-demo`` does."""
    name = f"podium_bench_abstracts_{secrets.token_hex(4)}"
    asyncio.run(admin(server, f'CREATE DATABASE "{name}"'))
    settings = Settings(
        database_url=make_url(server).set(database=name).render_as_string(hide_password=False),
        secret_key=secrets.token_urlsafe(32),
        data_dir=Path(tempfile.mkdtemp(prefix="podium-bench-")),
        environment="test",
        hold_sweep_seconds=0,
        mail_drain_seconds=0,
    )
    try:
        migrate(settings)
        started = time.perf_counter()
        report = asyncio.run(seed_demo(settings, DemoSize(rooms=40, abstracts=abstracts, reviewers=reviewers)))
        print(report.data, file=sys.stderr)
        print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        asyncio.run(analyze(settings))
        ranked = asyncio.run(ranked_list_ms(settings, rounds))
        assigned = asyncio.run(assign_s(settings, rounds))
    finally:
        asyncio.run(admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return ranked, assigned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abstracts", type=int, default=1500, help="accepted abstracts in the book")
    parser.add_argument("--call-abstracts", type=int, default=3000, help="submitted abstracts in the call")
    parser.add_argument("--reviewers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    ranked, assigned = on_seeded_database(args.server, args.call_abstracts, args.reviewers, args.rounds)
    figures = {"assign_s": assigned, "ranked_list_ms": ranked, "abstract_book_s": abstract_book_s(args.abstracts)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
