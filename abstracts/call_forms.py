"""The call's console form: the call as form fields (times in the event's zone) and the fields back as a payload.

Lists are rows named like the API's fields (``topics[2].name``), so an error the service names lands on its
row. Rows the organizer left blank or ticked "remove" are left out of the payload; ``RowMap`` turns the
payload's positions back into the form's rows for the error messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from abstracts.calls import CallView, local_text
from abstracts.models import SubmissionKind
from podium.i18n import N_

TIME_FIELDS = ("opens_at", "closes_at", "late_breaking_opens_at", "late_breaking_closes_at", "embargo_until")
FLAGS = ("blind", "disclosure_required")
TEXTS = ("reviews_per_abstract", "accept_oral_wording", "accept_poster_wording", "reject_wording")
# Registration categories of the event, chosen from a list ("" is none).
CATEGORY_FIELDS = ("submission_fee_category_id", "presenter_category_id")
# Each list, its row fields (flags are checkboxes), and how many blank rows a form offers for new items.
LISTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    "submission_types": (
        ("key", "name", "body_word_limit", "title_max_chars"),
        ("is_late_breaking", "is_symposium"),
        1,
    ),
    "topics": (("name",), (), 3),
    "questions": (("label", "max_chars"), ("required",), 2),
    "rubric": (("name", "weight", "min_score", "max_score"), (), 2),
}
KIND_LABELS = {
    SubmissionKind.ORAL: N_("Oral presentation"),
    SubmissionKind.POSTER: N_("Poster"),
    SubmissionKind.LATE_BREAKING: N_("Late-breaking"),
    SubmissionKind.SYMPOSIUM: N_("Symposium proposal"),
}


@dataclass
class RowMap:
    """For each list, the form row each payload item came from."""

    rows: dict[str, list[int]] = field(default_factory=dict)

    def form_field(self, name: str) -> str:
        for list_name, rows in self.rows.items():
            prefix = f"{list_name}["
            if name.startswith(prefix) and "]" in name:
                index, rest = name[len(prefix) :].split("]", 1)
                if index.isdigit() and int(index) < len(rows):
                    return f"{list_name}[{rows[int(index)]}]{rest}"
        return name


def row_count(values: dict[str, str], list_name: str) -> int:
    """Rows the form has: one past the last row with anything filled in."""
    found = [
        int(index)
        for key, value in values.items()
        if key.startswith(f"{list_name}[") and value.strip()
        for index in [key[len(list_name) + 1 :].split("]")[0]]
        if index.isdigit()
    ]
    return max(found, default=-1) + 1


def call_payload(form: dict[str, str]) -> tuple[dict[str, Any], RowMap]:
    payload: dict[str, Any] = {}
    for name in TIME_FIELDS:
        value = form.get(name, "").strip()
        if value:
            # datetime-local gives minutes; the API reads a time without an offset in the event's zone.
            payload[name] = f"{value}:00" if len(value) == 16 else value
        elif name.startswith("late_breaking"):
            payload[name] = None
    for name in FLAGS:
        payload[name] = form.get(name) == "on"
    for name in TEXTS:
        if name in form:
            payload[name] = form[name]
    for name in CATEGORY_FIELDS:
        payload[name] = form.get(name, "").strip() or None
    rows = RowMap()
    for list_name, (texts, flags, _blank) in LISTS.items():
        items, kept = [], []
        for index in range(row_count(form, list_name)):
            prefix = f"{list_name}[{index}]"
            item: dict[str, Any] = {n: form.get(f"{prefix}.{n}", "").strip() for n in texts}
            if form.get(f"{prefix}.remove") == "on" or not any(item.get(n) for n in ("name", "label")):
                continue
            item = {n: v for n, v in item.items() if v != ""}
            item.update({n: form.get(f"{prefix}.{n}") == "on" for n in flags})
            if form.get(f"{prefix}.id"):
                item["id"] = form[f"{prefix}.id"]
            items.append(item)
            kept.append(index)
        payload[list_name] = items
        rows.rows[list_name] = kept
    return payload, rows


def call_form(view: CallView | None) -> dict[str, str]:
    """The form's values for the call as it is (blank for an event without one: the organizer starts it)."""
    if view is None:
        return {"reviews_per_abstract": "3", "blind": "on"}
    call, tz = view.call, view.event.timezone
    values: dict[str, str] = {}
    for name in TIME_FIELDS:
        when = getattr(call, name)
        values[name] = local_text(when, tz) if when else ""
    for name in FLAGS:
        if getattr(call, name):
            values[name] = "on"
    for name in TEXTS:
        values[name] = str(getattr(call, name))
    for name in CATEGORY_FIELDS:
        values[name] = str(getattr(call, name) or "")
    rows: dict[str, Sequence[Any]] = {
        "submission_types": view.types,
        "topics": view.topics,
        "questions": view.questions,
        "rubric": view.rubric,
    }
    for list_name, (texts, flags, _blank) in LISTS.items():
        for index, row in enumerate(rows[list_name]):
            prefix = f"{list_name}[{index}]"
            values[f"{prefix}.id"] = str(row.id)
            values.update({f"{prefix}.{n}": str(getattr(row, n)) for n in texts})
            values.update({f"{prefix}.{n}": "on" for n in flags if getattr(row, n)})
    return values


def rows_to_show(values: dict[str, str]) -> dict[str, int]:
    """Each list's rows as filled in, plus its blank rows for new items."""
    return {name: row_count(values, name) + blank for name, (_t, _f, blank) in LISTS.items()}
