"""Scores and the ranked list: pure functions over plain facts, so the arithmetic is tested without a database.

A review's score is the weighted mean of its criterion scores (weights from the rubric). Reviewers differ in how
hard they mark, so each review is also expressed as a z-score against its own reviewer's reviews:
``(score - reviewer's mean) / reviewer's standard deviation`` (population deviation). A reviewer with a single
review, or who gave every abstract the same score, says nothing about how abstracts compare, so all their
reviews get z = 0: they neither lift nor sink an abstract in the normalized ranking (their raw scores still count
in the raw mean). An abstract's standing is the mean z of its reviews beside its raw mean.

The ranked list is per topic and submission type, best first: normalized mean, then raw mean, then more reviews,
then the abstract's number, then its id, so equal scores always come out in the same order. Abstracts without
reviews come last.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class CriterionFacts:
    id: UUID
    weight: float


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    abstract_id: UUID
    reviewer_id: UUID
    scores: Mapping[UUID, float]
    """Criterion id to score."""


@dataclass(frozen=True, slots=True)
class RankableAbstract:
    id: UUID
    topic_id: UUID | None
    submission_type_id: UUID | None
    number: int | None = None


@dataclass(frozen=True, slots=True)
class AbstractStanding:
    abstract_id: UUID
    reviews: int
    raw_mean: float | None
    normalized_mean: float | None


@dataclass(frozen=True, slots=True)
class RankedAbstract:
    position: int
    """1 for the best of its topic and type."""
    abstract: RankableAbstract
    standing: AbstractStanding


RankingKey = tuple[UUID | None, UUID | None]
"""(topic id, submission type id)."""


def weighted_score(scores: Mapping[UUID, float], criteria: Sequence[CriterionFacts]) -> float | None:
    """The weighted mean over the criteria the review scored; None when it scored none of positive weight."""
    total = 0.0
    weights = 0.0
    for criterion in criteria:
        if criterion.id in scores and criterion.weight > 0:
            total += criterion.weight * scores[criterion.id]
            weights += criterion.weight
    return total / weights if weights else None


def z_scores(values: Sequence[float]) -> list[float]:
    """One reviewer's scores as z-scores (population deviation); all zero for fewer than two reviews or no
    spread (see the module)."""
    if len(values) < 2:
        return [0.0] * len(values)
    mean = math.fsum(values) / len(values)
    deviation = math.sqrt(math.fsum((value - mean) ** 2 for value in values) / len(values))
    if deviation <= 1e-12 * max(1.0, abs(mean)):
        return [0.0] * len(values)
    return [(value - mean) / deviation for value in values]


def standings(reviews: Iterable[ReviewFacts], criteria: Sequence[CriterionFacts]) -> dict[UUID, AbstractStanding]:
    """Raw and normalized mean per reviewed abstract."""
    by_reviewer: dict[UUID, list[tuple[UUID, float]]] = defaultdict(list)
    for review in reviews:
        score = weighted_score(review.scores, criteria)
        if score is not None:
            by_reviewer[review.reviewer_id].append((review.abstract_id, score))
    raw: dict[UUID, list[float]] = defaultdict(list)
    normalized: dict[UUID, list[float]] = defaultdict(list)
    for scored in by_reviewer.values():
        for (abstract_id, score), z in zip(scored, z_scores([score for _, score in scored]), strict=True):
            raw[abstract_id].append(score)
            normalized[abstract_id].append(z)
    return {
        abstract_id: AbstractStanding(
            abstract_id=abstract_id,
            reviews=len(scores),
            raw_mean=math.fsum(scores) / len(scores),
            normalized_mean=math.fsum(normalized[abstract_id]) / len(scores),
        )
        for abstract_id, scores in raw.items()
    }


def _order(item: tuple[RankableAbstract, AbstractStanding]) -> tuple[object, ...]:
    abstract, standing = item
    if standing.normalized_mean is None or standing.raw_mean is None:
        scored: tuple[object, ...] = (1, 0.0, 0.0, 0)
    else:
        scored = (0, -standing.normalized_mean, -standing.raw_mean, -standing.reviews)
    number = abstract.number if abstract.number is not None else math.inf
    return (*scored, number, abstract.id)


def ranked_lists(
    abstracts: Iterable[RankableAbstract], reviews: Iterable[ReviewFacts], criteria: Sequence[CriterionFacts]
) -> dict[RankingKey, list[RankedAbstract]]:
    """The ranked list of every (topic, submission type), best first (see the module for the order)."""
    found = standings(reviews, criteria)
    groups: dict[RankingKey, list[tuple[RankableAbstract, AbstractStanding]]] = defaultdict(list)
    for abstract in abstracts:
        standing = found.get(abstract.id) or AbstractStanding(abstract.id, 0, None, None)
        groups[(abstract.topic_id, abstract.submission_type_id)].append((abstract, standing))
    return {
        key: [
            RankedAbstract(position=position, abstract=abstract, standing=standing)
            for position, (abstract, standing) in enumerate(sorted(members, key=_order), start=1)
        ]
        for key, members in groups.items()
    }
