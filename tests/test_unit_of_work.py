"""Services never commit: the request, job or command that owns the transaction does (issue 15, item 1).

Scanned with ``ast``, so a ``.commit()`` or ``.rollback()`` anywhere else fails here with its place. Who may
end a transaction is a rule, not a list of files: the HTTP layer (``controllers``/``pages`` modules and their
``*_controllers``/``*_pages`` siblings), the job layer (a domain's ``tasks`` module, whose ``@job`` functions
own their transactions as a handler does, and ``jobs`` modules and their ``*_jobs`` siblings, which end a
transaction per item where a batch must not hold its locks, or a claim must be committed before a call out),
the composition root and its commands (the ``podium.main`` package; ``demo`` is one too, and isn't scanned),
the job runtime (the ``podium.jobs`` package, whose queue keeps its own connection), and the unit of work's
own helpers in ``podium/db.py`` (which end read-only transactions, or store a record of something done
outside the database in a transaction of its own).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("events", "sessions", "badges", "podium", "registration")
ENDING_CALLS = frozenset({"commit", "rollback"})
HTTP_LAYER = ("controllers", "pages")
JOB_LAYER = ("tasks", "jobs")
# Functions that still end a transaction until their callers own it (none now; the list only shrinks).
WAITING: frozenset[tuple[str, str]] = frozenset()


def owns_transactions(path: Path) -> bool:
    """Whether the module is a transaction's owner by the rules in the module docstring."""
    relative = path.relative_to(ROOT)
    name = path.stem
    owners = HTTP_LAYER + JOB_LAYER
    if name in owners or name.endswith(tuple(f"_{layer}" for layer in owners)):
        return True
    return relative.parts[:2] in {("podium", "main"), ("podium", "jobs")} or relative == Path("podium/db.py")


def ending_calls(source: str) -> list[tuple[str, int]]:
    """The (outermost function, line) of every call of ``.commit()`` or ``.rollback()`` on anything."""
    found = []
    for top in ast.parse(source).body:
        name = top.name if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) else ""
        for node in ast.walk(top):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ENDING_CALLS:
                found.append((name, node.lineno))
    return sorted(found, key=lambda call: call[1])


def _ending_calls_outside_owners() -> list[tuple[str, str, int]]:
    return [
        (path.relative_to(ROOT).as_posix(), function, line)
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if not owns_transactions(path)
        for function, line in ending_calls(path.read_text(encoding="utf-8"))
    ]


def test_ending_calls_finds_commits_and_rollbacks() -> None:
    source = "async def f(s):\n    await s.commit()\n    s.add(1)\n    await s.rollback()\n    await s.flush()\n"

    assert ending_calls(source) == [("f", 2), ("f", 4)]


def test_owners_are_told_apart_by_rule() -> None:
    owners = [
        "events/controllers.py",
        "sessions/agenda_pages.py",
        "registration/tasks.py",
        "podium/main/cli.py",
        "podium/jobs/runtime.py",
        "registration/refunds/jobs.py",
    ]
    services = [
        "events/services.py",
        "sessions/agenda.py",
        "badges/checkin.py",
        "podium/auth/services.py",
        "registration/refunds/sender.py",
    ]

    assert [owns_transactions(ROOT / p) for p in owners] == [True] * 6
    assert [owns_transactions(ROOT / p) for p in services] == [False] * 5


def test_services_never_commit_or_roll_back() -> None:
    found = [
        f"{path}:{line} ({function})"
        for path, function, line in _ending_calls_outside_owners()
        if (path, function) not in WAITING
    ]

    assert found == [], "end the transaction in its owner (a controller, page, job or command): " + ", ".join(found)


def test_every_waiting_function_still_commits() -> None:
    """A function that stopped committing leaves ``WAITING`` too, so the exemption can't outlive its reason."""
    still = {(path, function) for path, function, _ in _ending_calls_outside_owners()}

    assert sorted(WAITING - still) == []
