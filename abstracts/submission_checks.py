"""What an abstract must be to count as submitted, and the blind check; pure functions over the rows.

``shape_errors`` hold for every write, drafts too (the database must never hold two presenting authors or a
"nothing to disclose" beside a disclosure); ``submit_errors`` are the call's rules a draft may still break.
Both return every failure at once, each on its own field, so the form marks all of them in one round.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from abstracts.calls import CallView
from abstracts.formatting import count_words
from abstracts.models import DisclosureRelationship, SubmissionType
from abstracts.schemas import AuthorWrite
from podium.errors import FieldError, at_most_characters
from podium.i18n import N_, gettext


@dataclass(frozen=True)
class Draft:
    """The abstract as it would be after the write: what the checks read."""

    submission_type: SubmissionType
    topic_id: UUID | None
    title: str
    body: str
    keywords: Sequence[str]
    answers: Mapping[str, str]
    authors: Sequence[AuthorWrite] = field(default_factory=list)


def shape_errors(view: CallView, draft: Draft) -> list[FieldError]:
    errors: list[FieldError] = []
    if draft.topic_id is not None and all(t.id != draft.topic_id for t in view.topics):
        errors.append(FieldError("topic_id", N_("not a topic of this call")))
    questions = {str(q.id): q for q in view.questions}
    for key, answer in draft.answers.items():
        question = questions.get(key)
        if question is None:
            errors.append(FieldError(f"answers.{key}", N_("there is no such question")))
        elif len(answer) > question.max_chars:
            errors.append(FieldError(f"answers.{key}", at_most_characters(question.max_chars)))
    presenting = [i for i, a in enumerate(draft.authors) if a.is_presenting]
    for index in presenting[1:]:
        errors.append(FieldError(f"authors[{index}].is_presenting", N_("only one author presents")))
    for index, author in enumerate(draft.authors):
        errors += _disclosure_shape(index, author)
    return errors


def _disclosure_shape(index: int, author: AuthorWrite) -> list[FieldError]:
    errors = []
    nothing = [d for d in author.disclosures if d.relationship == DisclosureRelationship.NONE]
    if nothing and len(author.disclosures) > 1:
        errors.append(
            FieldError(f"authors[{index}].disclosures", N_("“nothing to disclose” can't stand beside a disclosure"))
        )
    for number, disclosure in enumerate(author.disclosures):
        if disclosure.relationship != DisclosureRelationship.NONE and not disclosure.company.strip():
            errors.append(FieldError(f"authors[{index}].disclosures[{number}].company", N_("name the company")))
    return errors


def submit_errors(view: CallView, draft: Draft) -> list[FieldError]:
    kind = draft.submission_type
    errors = shape_errors(view, draft)
    title = draft.title.strip()
    if not title:
        errors.append(FieldError("title", N_("give the abstract a title")))
    elif len(title) > kind.title_max_chars:
        wording = gettext("%(num)d characters; %(kind)s titles have at most %(limit)d")
        errors.append(
            FieldError("title", wording % {"num": len(title), "kind": kind.name, "limit": kind.title_max_chars})
        )
    words = count_words(draft.body)
    if words == 0:
        errors.append(FieldError("body", N_("the abstract has no text yet")))
    elif words > kind.body_word_limit:
        wording = gettext("%(num)d words; %(kind)s abstracts have at most %(limit)d")
        errors.append(FieldError("body", wording % {"num": words, "kind": kind.name, "limit": kind.body_word_limit}))
    if view.topics and draft.topic_id is None:
        errors.append(FieldError("topic_id", N_("choose a topic")))
    for question in view.questions:
        if question.required and not draft.answers.get(str(question.id), "").strip():
            answer = gettext("please answer: %(question)s") % {"question": question.label}
            errors.append(FieldError(f"answers.{question.id}", answer))
    return errors + _author_errors(view, draft.authors)


def _author_errors(view: CallView, authors: Sequence[AuthorWrite]) -> list[FieldError]:
    if not authors:
        return [FieldError("authors", N_("list at least one author"))]
    errors = []
    if not any(a.is_presenting for a in authors):
        errors.append(FieldError("authors", N_("mark the author who will present")))
    for index, author in enumerate(authors):
        prefix = f"authors[{index}]"
        if not author.institution.strip():
            errors.append(FieldError(f"{prefix}.institution", N_("give the author's institution")))
        if author.country is None:
            errors.append(FieldError(f"{prefix}.country", N_("give the institution's country")))
        if author.is_presenting and not author.email:
            errors.append(FieldError(f"{prefix}.email", N_("the presenting author needs an email address")))
        if view.call.disclosure_required and not author.disclosures:
            errors.append(
                FieldError(f"{prefix}.disclosures", N_("disclose financial relationships, or say there are none"))
            )
    return errors


def _mentions(text: str, phrase: str) -> bool:
    phrase = phrase.strip()
    if len(phrase) < 3:
        return False
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None


def blind_warnings(title: str, body: str, authors: Sequence[AuthorWrite]) -> list[FieldError]:
    """Where the title or body names an author (full name or surname) or an author's institution: reviewers
    must not learn who wrote it. A warning, not an error (a surname can also be a word or a named method)."""
    found: list[FieldError] = []
    for field_name, text in (("title", title), ("body", body)):
        seen: set[str] = set()
        for author in authors:
            words = author.full_name.split()
            named = next((p for p in (author.full_name, words[-1] if words else "") if _mentions(text, p)), "")
            institution = author.institution if _mentions(text, author.institution) else ""
            for phrase in (named, institution):
                if phrase and phrase.casefold() not in seen:
                    seen.add(phrase.casefold())
                    message = gettext("names %(phrase)s: reviewers should not learn who wrote it")
                    found.append(FieldError(field_name, message % {"phrase": repr(phrase)}))
    return found
