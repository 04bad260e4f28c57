"""The abstract's form: an abstract as form fields and back, and the author rows' add, remove and move-up.

Author rows are named like the API's fields (``authors[1].email``), so the services' errors land on their
row. Adding, removing or moving a row posts the whole form and comes back with every field as typed (nothing
is saved), so no input is lost and no JavaScript is needed. Each author has up to ``DISCLOSURE_ROWS``
disclosures on the page (the API takes more).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from abstracts.call_forms import RowMap, row_count
from abstracts.schemas import AuthorWrite

AUTHOR_FIELDS = ("full_name", "email", "institution", "country")
DISCLOSURE_ROWS = 2
MAX_AUTHORS = 50
_ROW_ACTION = re.compile(r"^(remove|up)_author:(\d+)$")


def author_fields(index: int) -> list[str]:
    names = [f"authors[{index}].{n}" for n in AUTHOR_FIELDS]
    for d in range(DISCLOSURE_ROWS):
        names += [f"authors[{index}].disclosures[{d}].relationship", f"authors[{index}].disclosures[{d}].company"]
    return names


def _author_rows(form: dict[str, str]) -> list[dict[str, str]]:
    """Each author row's fields, without the ``authors[i].`` prefix."""
    rows = []
    for index in range(row_count(form, "authors")):
        prefix = f"authors[{index}]."
        rows.append({name[len(prefix) :]: form.get(name, "") for name in author_fields(index)})
    return rows


def _with_rows(form: dict[str, str], rows: list[dict[str, str]], presenting: int | None) -> dict[str, str]:
    values = {k: v for k, v in form.items() if not k.startswith("authors[") and k not in {"presenting", "action"}}
    for index, row in enumerate(rows):
        values.update({f"authors[{index}].{name}": value for name, value in row.items()})
    if presenting is not None and 0 <= presenting < len(rows):
        values["presenting"] = str(presenting)
    return values


@dataclass(frozen=True)
class RowChange:
    """The form after a row action, and how many blank author rows to show below the filled ones."""

    values: dict[str, str]
    blank_rows: int


def row_action(form: dict[str, str]) -> RowChange | None:
    """Apply ``add_author``, ``remove_author:i`` or ``up_author:i``; None when the action is none of these."""
    action = form.get("action", "")
    rows = _author_rows(form)
    presenting = int(form["presenting"]) if form.get("presenting", "").isdigit() else None
    if action == "add_author":
        return RowChange(_with_rows(form, rows, presenting), 1 if len(rows) < MAX_AUTHORS else 0)
    found = _ROW_ACTION.match(action)
    if found is None or int(found.group(2)) >= len(rows):
        return None
    index = int(found.group(2))
    if found.group(1) == "remove":
        rows.pop(index)
        if presenting is not None:
            presenting = None if presenting == index else presenting - (presenting > index)
    elif index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
        if presenting in (index, index - 1):
            presenting = index - 1 if presenting == index else index
    return RowChange(_with_rows(form, rows, presenting), 0)


def abstract_payload(form: dict[str, str], question_ids: list[str]) -> tuple[dict[str, Any], RowMap]:
    """The API's fields from the form: blank author rows and blank disclosures left out, empty optional
    fields as null, keywords from one comma-separated line."""
    payload: dict[str, Any] = {
        "submission_type_id": form.get("submission_type_id", ""),
        "topic_id": form.get("topic_id") or None,
        "title": form.get("title", ""),
        "chair": form.get("chair", ""),
        "body": form.get("body", "").replace("\r\n", "\n"),
        "keywords": [k.strip() for k in form.get("keywords", "").split(",") if k.strip()],
        "answers": {q: form[f"answers.{q}"] for q in question_ids if form.get(f"answers.{q}", "").strip()},
    }
    authors, kept = [], []
    presenting = form.get("presenting", "")
    for index, row in enumerate(_author_rows(form)):
        if not any(row.get(n, "").strip() for n in AUTHOR_FIELDS):
            continue
        disclosures = [
            {"relationship": row[f"disclosures[{d}].relationship"], "company": row[f"disclosures[{d}].company"]}
            for d in range(DISCLOSURE_ROWS)
            if row.get(f"disclosures[{d}].relationship")
        ]
        authors.append(
            {
                "full_name": row["full_name"],
                "email": row["email"].strip() or None,
                "institution": row["institution"],
                "country": row["country"].strip().upper() or None,
                "is_presenting": presenting == str(index),
                "disclosures": disclosures,
            }
        )
        kept.append(index)
    payload["authors"] = authors
    return payload, RowMap({"authors": kept})


def abstract_form(
    *,
    submission_type_id: str,
    topic_id: str,
    title: str,
    body: str,
    keywords: list[str],
    answers: dict[str, str],
    authors: list[AuthorWrite],
) -> dict[str, str]:
    values = {
        "submission_type_id": submission_type_id,
        "topic_id": topic_id,
        "title": title,
        "body": body,
        "keywords": ", ".join(keywords),
    }
    values.update({f"answers.{k}": v for k, v in answers.items()})
    for index, author in enumerate(authors):
        prefix = f"authors[{index}]"
        values[f"{prefix}.full_name"] = author.full_name
        values[f"{prefix}.email"] = author.email or ""
        values[f"{prefix}.institution"] = author.institution
        values[f"{prefix}.country"] = author.country or ""
        for d, disclosure in enumerate(author.disclosures[:DISCLOSURE_ROWS]):
            values[f"{prefix}.disclosures[{d}].relationship"] = disclosure.relationship
            values[f"{prefix}.disclosures[{d}].company"] = disclosure.company
        if author.is_presenting:
            values["presenting"] = str(index)
    return values
