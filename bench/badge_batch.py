"""Badge PDFs: what a print batch and one attendee's badge cost with the fonts and shaping every script needs.

No database: the cards are made up (the names of tests/badges/test_badge_scripts.py, serials and tokens of
the real lengths). Measures, in this process:

* ``batch_latin1_s``: 10,000 badges (4x3 in) whose every text is Latin-1, so Helvetica, nothing embedded
  (bench/checkin renders the demo's attendees the same way);
* ``batch_mixed_s``: 10,000 badges of which one in ten is named in another script (Greek, Cyrillic, Chinese,
  Japanese, Korean, Arabic, Hebrew, Devanagari), so the whole batch is set in Noto with every fallback face
  loaded, and HarfBuzz shaping for the texts that need it; the goal for both is under 60 s (each also as
  ``_cpu_s``, the process's CPU time, steadier than wall time on a shared machine);
* ``single_cpu_ms``: one badge alone, per script, as the confirmation mail attaches it (best of three; the
  CJK faces are large OpenType files, parsed and subset for each PDF).

The last line is one JSON object with the figures.

    .venv/bin/python bench/badge_batch.py [--badges 10000]
"""

from __future__ import annotations

import argparse
import json
import time

from badges.pdf import BadgeCard, render_badges
from badges.tokens import TOKEN_CHARS

PEOPLE = {
    "latin1": ("Christoph", "Müller", "Université de Genève"),
    "latin": ("Łukasz", "Żółć", "Uniwersytet Jagielloński"),
    "greek": ("Αλέξανδρος", "Παπαδόπουλος", "Εθνικό και Καποδιστριακό Πανεπιστήμιο Αθηνών"),
    "cyrillic": ("Александр", "Иванов", "Московский государственный университет"),
    "chinese": ("伟", "张", "北京大学生命科学学院"),
    "japanese": ("はなこ", "山田", "東京大学大学院医学系研究科"),
    "korean": ("민준", "김", "서울대학교 의과대학"),
    "arabic": ("محمد", "عبد الله", "جامعة الملك سعود"),
    "hebrew": ("דוד", "כהן", "האוניברסיטה העברית בירושלים"),
    "devanagari": ("अमिताभ", "बच्चन", "अखिल भारतीय आयुर्विज्ञान संस्थान"),
}
LATIN1 = [
    ("Ada", "Lovelace", "University of London"),
    ("Jean-Baptiste", "Lamarck", "Muséum national d'Histoire naturelle"),
    ("Maria Guadalupe", "Fernández de la Fuente", "Universidad Nacional Autónoma de México"),
    ("Søren", "Kierkegaard", "Københavns Universitet"),
]


def card(index: int, first: str, last: str, affiliation: str) -> BadgeCard:
    return BadgeCard(
        first_name=first, last_name=last, affiliation=affiliation, category="Member", ribbon="#1F6FB2",
        event_name="Annual Meeting 2027", event_dates="12-16 April 2027", serial=f"{index:08d}",
        token=(f"{index:08d}" + "6BFOXN%TS3DH*Q7Y1XKLF+8UE5H0/1S2CV" * 8)[:TOKEN_CHARS], version=1,
    )  # fmt: skip


def batch_seconds(cards: list[BadgeCard]) -> tuple[float, float]:
    """(wall, CPU) seconds: on a shared machine the CPU time is the steadier figure."""
    started, cpu = time.perf_counter(), time.process_time()
    pdf = render_badges(cards, "4x3")
    assert pdf.startswith(b"%PDF-")
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=10_000)
    count = parser.parse_args().badges
    others = [people for script, people in PEOPLE.items() if script not in ("latin1", "latin")]

    single = {}
    for script, people in PEOPLE.items():
        times = []
        for _ in range(3):
            times.append(batch_seconds([card(0, *people)])[1])
        single[script] = round(min(times) * 1000, 1)
        print(f"one badge, {script}: {single[script]} ms", flush=True)

    latin1, latin1_cpu = batch_seconds([card(i, *LATIN1[i % len(LATIN1)]) for i in range(count)])
    print(f"{count} badges, Latin-1 names: {latin1:.1f} s ({latin1_cpu:.1f} s CPU)", flush=True)
    mixed_cards = [card(i, *(others[i // 10 % len(others)] if i % 10 == 0 else LATIN1[i % 4])) for i in range(count)]
    mixed, mixed_cpu = batch_seconds(mixed_cards)
    print(f"{count} badges, one in ten in another script: {mixed:.1f} s ({mixed_cpu:.1f} s CPU)", flush=True)
    figures = {
        "badges": count,
        "batch_latin1_s": round(latin1, 1),
        "batch_latin1_cpu_s": round(latin1_cpu, 1),
        "batch_mixed_s": round(mixed, 1),
        "batch_mixed_cpu_s": round(mixed_cpu, 1),
        "single_cpu_ms": single,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
