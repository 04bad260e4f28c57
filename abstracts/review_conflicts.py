"""Conflicts of interest between a reviewer and an abstract, written once as matching keys.

Each side says what it is or declares as a set of keys: an abstract exposes its authors' and submitter's emails,
its authors' institutions and its own id; a reviewer holds their own email, their institutions and what they
declared. A shared key is a conflict, and the key says which rule it breaks. The per-pair check used for a manual
assignment (:func:`conflict_rule`) and the index the automatic assignment builds (:class:`ConflictIndex`) both read
these keys, so the rules cannot drift apart.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID


class ConflictRule(enum.StrEnum):
    """Why a reviewer may not review an abstract; declared in order of precedence (the first that matches is
    the one reported)."""

    REVIEWER_IS_AUTHOR = "reviewer_is_author"
    REVIEWER_IS_SUBMITTER = "reviewer_is_submitter"
    SHARED_INSTITUTION = "shared_institution"
    DECLARED_ABSTRACT = "declared_abstract"
    DECLARED_AUTHOR = "declared_author"
    DECLARED_INSTITUTION = "declared_institution"


_PRECEDENCE = {rule: position for position, rule in enumerate(ConflictRule)}


def normalize(text: str) -> str:
    """Emails and institution names compare case-blind with runs of whitespace as one space, so
    ``"Karolinska  Institutet "`` and ``"karolinska institutet"`` are one institution."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class AbstractFacts:
    """What the conflict and assignment rules look at in an abstract, detached from the ORM."""

    id: UUID
    topic_id: UUID | None
    author_emails: frozenset[str] = frozenset()
    author_institutions: frozenset[str] = frozenset()
    submitter_email: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewerFacts:
    """A reviewer's topics, own institutions and declared conflicts (abstracts, institutions, author emails)."""

    id: UUID
    email: str
    topic_ids: frozenset[UUID] = frozenset()
    institutions: frozenset[str] = frozenset()
    conflict_abstract_ids: frozenset[UUID] = frozenset()
    conflict_institutions: frozenset[str] = frozenset()
    conflict_emails: frozenset[str] = frozenset()


# A key is a kind ("author", "submitter", "institution", "abstract") and a normalized value.
Key = tuple[str, str]


def abstract_keys(abstract: AbstractFacts) -> set[Key]:
    keys: set[Key] = {("abstract", str(abstract.id))}
    keys.update(("author", normalize(email)) for email in abstract.author_emails)
    keys.update(("institution", normalize(name)) for name in abstract.author_institutions)
    if abstract.submitter_email:
        keys.add(("submitter", normalize(abstract.submitter_email)))
    return keys


def reviewer_keys(reviewer: ReviewerFacts) -> dict[Key, ConflictRule]:
    """Each key the reviewer conflicts on, with the rule it stands for (the rule of highest precedence when a key
    comes from two sources, say an institution both their own and declared)."""
    pairs: list[tuple[Key, ConflictRule]] = []
    own = normalize(reviewer.email)
    pairs += [
        (("author", own), ConflictRule.REVIEWER_IS_AUTHOR),
        (("submitter", own), ConflictRule.REVIEWER_IS_SUBMITTER),
    ]
    pairs += [(("institution", normalize(name)), ConflictRule.SHARED_INSTITUTION) for name in reviewer.institutions]
    pairs += [(("abstract", str(item)), ConflictRule.DECLARED_ABSTRACT) for item in reviewer.conflict_abstract_ids]
    for email in reviewer.conflict_emails:
        pairs += [(("author", normalize(email)), ConflictRule.DECLARED_AUTHOR)]
        pairs += [(("submitter", normalize(email)), ConflictRule.DECLARED_AUTHOR)]
    pairs += [
        (("institution", normalize(name)), ConflictRule.DECLARED_INSTITUTION) for name in reviewer.conflict_institutions
    ]
    keys: dict[Key, ConflictRule] = {}
    for key, rule in pairs:
        if key not in keys or _PRECEDENCE[rule] < _PRECEDENCE[keys[key]]:
            keys[key] = rule
    return keys


def conflict_rule(abstract: AbstractFacts, reviewer: ReviewerFacts) -> ConflictRule | None:
    """The rule that forbids this pair, or None when the reviewer may review the abstract."""
    held = reviewer_keys(reviewer)
    rules = [held[key] for key in abstract_keys(abstract) if key in held]
    return min(rules, key=_PRECEDENCE.__getitem__) if rules else None


@dataclass(slots=True)
class ConflictIndex:
    """Reviewers by conflict key, so an abstract's conflicted reviewers are found from its few keys instead of
    checking every reviewer."""

    by_key: Mapping[Key, Sequence[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, reviewers: Iterable[ReviewerFacts]) -> ConflictIndex:
        by_key: dict[Key, list[int]] = defaultdict(list)
        for position, reviewer in enumerate(reviewers):
            for key in reviewer_keys(reviewer):
                by_key[key].append(position)
        return cls(by_key=dict(by_key))

    def conflicted(self, abstract: AbstractFacts) -> set[int]:
        """Positions (in the list the index was built from) of the reviewers who conflict with ``abstract``."""
        found: set[int] = set()
        for key in abstract_keys(abstract):
            found.update(self.by_key.get(key, ()))
        return found
