"""The rule table's interpreter: what both the server and the offline scanner rely on it to mean."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from badges import rules

DESK: dict[str, Any] = {
    "code_valid": True,
    "other_event": False,
    "badge_known": True,
    "version": 1,
    "current_version": 1,
    "status": "ok",
    "direction": "in",
    "kind": "add_on",
    "checkpoint_active": True,
    "moment": rules.ms(dt.datetime(2027, 5, 1, 9, tzinfo=dt.UTC)),
    "opens_at": None,
    "closes_at": None,
    "checkpoint_add_on": "grant-writing",
    "doors_open": 30 * 60_000,
}


def test_workshop_desk_without_the_workshop_is_no_access() -> None:
    assert rules.first_reason({**DESK, "add_ons": [], "inside": False}) == "no_access"


def test_a_fact_the_answer_needs_is_asked_for_by_name() -> None:
    with pytest.raises(rules.MissingFact) as missing:
        rules.first_reason(DESK)

    assert missing.value.name == "add_ons"


def test_an_unset_window_never_refuses() -> None:
    answer = rules.first_reason({**DESK, "add_ons": ["grant-writing"], "inside": False})

    assert answer == "admitted"


def test_ordering_with_null_is_false_either_way() -> None:
    assert [rules.evaluate([op, None, 1], {}) for op in ("lt", "le", "gt", "ge")] == [False] * 4


def test_times_are_whole_milliseconds_as_javascript_has_them() -> None:
    moment = dt.datetime(2027, 5, 1, 9, 0, 0, 999_999, tzinfo=dt.UTC)

    assert rules.ms(moment) == 1_809_162_000_999
    assert rules.from_ms(rules.ms(moment)) == moment.replace(microsecond=999_000)
