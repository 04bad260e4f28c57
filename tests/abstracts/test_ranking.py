"""Scores, per-reviewer z-scores and the ranked list, on random data (hypothesis) and on hand-made cases."""

from __future__ import annotations

import itertools
import math
import uuid
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstracts.ranking import (
    CriterionFacts,
    RankableAbstract,
    ReviewFacts,
    ranked_lists,
    standings,
    weighted_score,
    z_scores,
)

CLARITY = CriterionFacts(uuid.UUID(int=1), weight=1)
NOVELTY = CriterionFacts(uuid.UUID(int=2), weight=3)
CRITERIA = [CLARITY, NOVELTY]
scores = st.floats(min_value=0, max_value=10, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(scores, min_size=1, max_size=30))
def test_z_scores_of_one_reviewer_have_mean_zero(values: list[float]) -> None:
    z = z_scores(values)

    assert math.fsum(z) / len(z) == pytest.approx(0, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(scores, min_size=1, max_size=30))
def test_z_scores_are_monotone_in_the_raw_scores(values: list[float]) -> None:
    z = z_scores(values)

    ordered = sorted(zip(values, z, strict=True))
    for (a, za), (b, zb) in itertools.pairwise(ordered):
        assert za <= zb + 1e-12
        if a == b:
            assert za == zb


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 11), scores, scores), max_size=60))
def test_normalized_means_average_zero_per_reviewer_and_raw_means_are_plain_means(
    rows: list[tuple[int, int, float, float]],
) -> None:
    reviews = [
        ReviewFacts(uuid.UUID(int=100 + a), uuid.UUID(int=500 + r), {CLARITY.id: c, NOVELTY.id: n})
        for r, a, c, n in {(r, a): (r, a, c, n) for r, a, c, n in rows}.values()
    ]

    found = standings(reviews, CRITERIA)

    by_abstract: dict[uuid.UUID, list[float]] = defaultdict(list)
    for review in reviews:
        by_abstract[review.abstract_id].append((review.scores[CLARITY.id] + 3 * review.scores[NOVELTY.id]) / 4)
    assert set(found) == set(by_abstract)
    for abstract_id, values in by_abstract.items():
        assert found[abstract_id].raw_mean == pytest.approx(sum(values) / len(values))
        assert found[abstract_id].reviews == len(values)
    if len({review.reviewer_id for review in reviews}) == 1:
        weighted = sum(found[a].normalized_mean or 0 for a in found)
        assert weighted == pytest.approx(0, abs=1e-9)


def test_weighted_score_uses_the_rubric_weights() -> None:
    assert weighted_score({CLARITY.id: 2, NOVELTY.id: 6}, CRITERIA) == 5
    assert weighted_score({CLARITY.id: 2}, CRITERIA) == 2
    assert weighted_score({}, CRITERIA) is None
    assert weighted_score({CLARITY.id: 4}, [CriterionFacts(CLARITY.id, 0)]) is None


def test_a_reviewer_with_one_review_or_one_score_for_all_neither_lifts_nor_sinks() -> None:
    assert z_scores([7.0]) == [0.0]
    assert z_scores([4.0, 4.0, 4.0]) == [0.0, 0.0, 0.0]
    assert z_scores([]) == []


def test_a_harsh_reviewer_counts_like_a_generous_one_once_normalized() -> None:
    harsh, generous = uuid.UUID(int=900), uuid.UUID(int=901)
    first, second = uuid.UUID(int=1), uuid.UUID(int=2)
    reviews = [
        ReviewFacts(first, harsh, {CLARITY.id: 3}),
        ReviewFacts(second, harsh, {CLARITY.id: 1}),
        ReviewFacts(first, generous, {CLARITY.id: 10}),
        ReviewFacts(second, generous, {CLARITY.id: 9}),
    ]

    found = standings(reviews, [CLARITY])

    assert found[first].raw_mean == 6.5 and found[second].raw_mean == 5
    assert found[first].normalized_mean == pytest.approx(1)
    assert found[second].normalized_mean == pytest.approx(-1)


def test_ranked_list_per_topic_and_type_best_first_ties_by_number_then_unreviewed_last() -> None:
    topic, other_topic, oral = uuid.UUID(int=70), uuid.UUID(int=71), uuid.UUID(int=80)
    reviewer = uuid.UUID(int=900)
    abstracts = [
        RankableAbstract(uuid.UUID(int=10), topic, oral, number=4),
        RankableAbstract(uuid.UUID(int=11), topic, oral, number=2),
        RankableAbstract(uuid.UUID(int=12), topic, oral, number=3),
        RankableAbstract(uuid.UUID(int=13), topic, oral, number=1),
        RankableAbstract(uuid.UUID(int=14), other_topic, oral, number=5),
    ]
    reviews = [
        ReviewFacts(uuid.UUID(int=10), reviewer, {CLARITY.id: 5}),
        ReviewFacts(uuid.UUID(int=11), reviewer, {CLARITY.id: 5}),
        ReviewFacts(uuid.UUID(int=12), reviewer, {CLARITY.id: 9}),
        ReviewFacts(uuid.UUID(int=14), reviewer, {CLARITY.id: 1}),
    ]

    lists = ranked_lists(abstracts, reviews, CRITERIA)

    assert set(lists) == {(topic, oral), (other_topic, oral)}
    ranked = lists[(topic, oral)]
    assert [item.abstract.number for item in ranked] == [3, 2, 4, 1]
    assert [item.position for item in ranked] == [1, 2, 3, 4]
    assert ranked[-1].standing.reviews == 0 and ranked[-1].standing.raw_mean is None
    assert ranked_lists(list(reversed(abstracts)), list(reversed(reviews)), CRITERIA) == lists
