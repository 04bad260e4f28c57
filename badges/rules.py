"""The admission rules, written once as data: the server (``badges.scan_rules``) and the offline scanner
(podium/static/js/scan-rules.js, which receives them in the scanner bundle) both interpret this table, so a
workshop desk refuses a badge without its workshop offline exactly as it does online.

A rule is a reason and a condition over named facts; the first rule whose condition holds gives the answer.
Conditions are JSON expression trees, ``[op, *arguments]``: ``["var", name]`` reads a fact, a bare string,
number, boolean or null is itself. Times are integer milliseconds since the epoch on both sides (JavaScript's
``Date``), and an ordering comparison with a null side is false, as in SQL, so an unset window never refuses.

Facts: ``code_valid`` (the token's format and signature, or a well-formed typed serial), ``other_event`` (the
token names another event's key), ``badge_known``, ``version`` (the scanned printing, null for a typed
serial), ``current_version``, ``status`` (``ok``, ``not_paid``, ``cancelled``), ``direction``, ``kind``,
``checkpoint_active``, ``moment`` (the device's clock), ``opens_at``/``closes_at`` (the checkpoint's window),
``checkpoint_add_on`` (what a desk requires), ``slot_found``/``slot_add_on`` (the session a room or session
door scan belongs to, chosen by ``SLOT_OPEN``), ``add_ons`` (what the registration bought) and ``inside``
(already admitted to the zone; the server answers it with its one conditional write, so two devices never
both admit, and a device offline from what it admitted itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import and_

Expr = Any  # a JSON expression tree: [op, *arguments] or a literal

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MS = dt.timedelta(milliseconds=1)


def var(name: str) -> Expr:
    return ["var", name]


# A room or session door scan belongs to the latest-starting published session whose doors are open: from
# ``doors_open`` before its start until its end. Over slot facts ``slot.starts_at``/``slot.ends_at``.
SLOT_OPEN: Expr = [
    "and",
    ["le", var("slot.starts_at"), ["add", var("moment"), var("doors_open")]],
    ["lt", var("moment"), var("slot.ends_at")],
]
SLOTTED: Expr = ["one_of", var("kind"), "room", "session"]
REQUIRED_ADD_ON: Expr = ["if", SLOTTED, var("slot_add_on"), var("checkpoint_add_on")]

RULES: tuple[tuple[str, Expr], ...] = (
    ("invalid", ["not", var("code_valid")]),
    ("wrong_event", var("other_event")),
    ("invalid", ["not", var("badge_known")]),
    ("invalid", ["gt", var("version"), var("current_version")]),  # a printing never issued
    ("revoked", ["lt", var("version"), var("current_version")]),  # reprinted or transferred since
    ("cancelled", ["eq", var("status"), "cancelled"]),
    ("not_paid", ["eq", var("status"), "not_paid"]),
    ("checked_out", ["eq", var("direction"), "out"]),
    ("outside_window", ["not", var("checkpoint_active")]),
    ("outside_window", ["and", SLOTTED, ["not", var("slot_found")]]),
    ("outside_window", ["and", ["not", SLOTTED], ["lt", var("moment"), var("opens_at")]]),
    ("outside_window", ["and", ["not", SLOTTED], ["ge", var("moment"), var("closes_at")]]),
    ("no_access", ["and", ["ne", REQUIRED_ADD_ON, None], ["not", ["has", var("add_ons"), REQUIRED_ADD_ON]]]),
    ("already_admitted", var("inside")),
    ("admitted", True),
)


class MissingFact(LookupError):
    """The condition needs a fact the caller has not gathered yet: the server loads it (a query it makes only
    for the scans whose answer depends on it) and evaluates again."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: a is not None and b is not None and compare(a, b)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b),
    "gt": _ordered(lambda a, b: a > b),
    "ge": _ordered(lambda a, b: a >= b),
    "add": lambda a, b: None if a is None or b is None else a + b,
    "has": lambda items, item: item is not None and item in items,
}


Compiled = Callable[[Mapping[str, Any]], Any]


def _var(name: str) -> Compiled:
    def read(facts: Mapping[str, Any]) -> Any:
        try:
            return facts[name]
        except KeyError:
            raise MissingFact(name) from None

    return read


def compile_expr(expr: Expr) -> Compiled:
    """An expression as a Python function of the facts, built once: the server decides every scan by the table,
    and closures cost a tenth of walking the tree per scan. ``and``, ``or`` and ``if`` evaluate only what they
    need (so a fact nobody needs is never asked for)."""
    if not isinstance(expr, list):
        return lambda facts: expr
    op, *args = expr
    if op == "var":
        return _var(args[0])
    parts = [compile_expr(a) for a in args]
    if op == "and":
        return lambda facts: all(part(facts) for part in parts)
    if op == "or":
        return lambda facts: any(part(facts) for part in parts)
    if op == "not":
        (inner,) = parts
        return lambda facts: not inner(facts)
    if op == "if":
        test, then, otherwise = parts
        return lambda facts: then(facts) if test(facts) else otherwise(facts)
    if op == "one_of":
        subject, choices = parts[0], tuple(args[1:])
        return lambda facts: subject(facts) in choices
    binary, (left, right) = _BINARY[op], parts
    return lambda facts: binary(left(facts), right(facts))


def evaluate(expr: Expr, facts: Mapping[str, Any]) -> Any:
    """The value of one expression (compiled afresh: for the odd expression, not the per-scan table)."""
    return compile_expr(expr)(facts)


_COMPILED_RULES = tuple((reason, compile_expr(condition)) for reason, condition in RULES)


def first_reason(facts: Mapping[str, Any]) -> str:
    """The reason of the first rule that holds (raises ``MissingFact`` for a fact it needs and lacks)."""
    for reason, condition in _COMPILED_RULES:
        if condition(facts):
            return reason
    raise AssertionError("the last rule always holds")


def ms(moment: dt.datetime) -> int:
    """A time as the rules compare it: whole milliseconds since the epoch, as JavaScript's ``Date`` has it."""
    return (moment - EPOCH) // MS


def from_ms(value: int) -> dt.datetime:
    return EPOCH + value * MS


def to_sql(expr: Expr, columns: Mapping[str, Any], facts: Mapping[str, Any]) -> Any:
    """A condition as a SQL clause, for the server's fast path (``SLOT_OPEN`` picks a room's session in the
    database): ``columns`` name the facts that are columns, every other subtree is folded to its value here,
    and a folded time is compared as a datetime. Only ``and`` and comparisons, all ``SLOT_OPEN`` needs."""
    if not _mentions(expr, columns):
        return evaluate(expr, facts)
    op, *args = expr
    if op == "var":
        return columns[args[0]]
    if op == "and":
        return and_(*(to_sql(a, columns, facts) for a in args))
    compare = _SQL_COMPARE[op]
    left, right = (_sql_side(to_sql(a, columns, facts)) for a in args)
    return compare(left, right)


def _mentions(expr: Expr, columns: Mapping[str, Any]) -> bool:
    if not isinstance(expr, list):
        return False
    if expr[0] == "var":
        return expr[1] in columns
    return any(_mentions(a, columns) for a in expr[1:])


def _sql_side(value: Any) -> Any:
    return from_ms(value) if isinstance(value, int) and not isinstance(value, bool) else value


_SQL_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}
