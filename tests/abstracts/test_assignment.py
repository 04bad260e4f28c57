"""Automatic reviewer assignment on random data (hypothesis): no conflict ever, N distinct reviewers where
possible, balanced loads, topic preference and existing assignments kept."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter, defaultdict
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from abstracts.assignment import AssignmentPlan, assign_reviewers
from abstracts.review_conflicts import AbstractFacts, ConflictRule, ReviewerFacts, conflict_rule

TOPICS = [uuid.UUID(int=1000 + n) for n in range(4)]
INSTITUTIONS = ["Karolinska Institutet", "karolinska  institutet ", "MIT", "Oxford", "ETH Zürich"]
EMAILS = [f"person{n}@example.org" for n in range(8)]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[AbstractFacts], list[ReviewerFacts], int]:
    abstract_ids = [uuid.UUID(int=n + 1) for n in range(draw(st.integers(0, 25)))]
    abstracts = [
        AbstractFacts(
            id=abstract_id,
            topic_id=draw(st.sampled_from([*TOPICS, None])),
            author_emails=frozenset(draw(st.lists(st.sampled_from(EMAILS), max_size=3))),
            author_institutions=frozenset(draw(st.lists(st.sampled_from(INSTITUTIONS), max_size=2))),
            submitter_email=draw(st.one_of(st.none(), st.sampled_from(EMAILS).map(str.upper))),
        )
        for abstract_id in abstract_ids
    ]
    reviewers = [
        ReviewerFacts(
            id=uuid.UUID(int=10_000 + n),
            email=draw(st.sampled_from([*EMAILS, f"reviewer{n}@example.org"])),
            topic_ids=frozenset(draw(st.lists(st.sampled_from(TOPICS), max_size=3))),
            institutions=frozenset(draw(st.lists(st.sampled_from(INSTITUTIONS), max_size=1))),
            conflict_abstract_ids=frozenset(draw(st.lists(st.sampled_from(abstract_ids), max_size=2)))
            if abstract_ids
            else frozenset(),
            conflict_institutions=frozenset(draw(st.lists(st.sampled_from(INSTITUTIONS), max_size=1))),
            conflict_emails=frozenset(draw(st.lists(st.sampled_from(EMAILS), max_size=1))),
        )
        for n in range(draw(st.integers(0, 12)))
    ]
    return abstracts, reviewers, draw(st.integers(0, 4))


def eligible(abstract: AbstractFacts, reviewers: list[ReviewerFacts]) -> list[ReviewerFacts]:
    return [reviewer for reviewer in reviewers if conflict_rule(abstract, reviewer) is None]


def by_abstract(plan: AssignmentPlan) -> dict[UUID, list[UUID]]:
    found: dict[UUID, list[UUID]] = defaultdict(list)
    for abstract_id, reviewer_id in plan.added:
        found[abstract_id].append(reviewer_id)
    return found


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_no_assignment_breaks_a_conflict_rule_and_each_abstract_gets_what_it_can(
    world: tuple[list[AbstractFacts], list[ReviewerFacts], int],
) -> None:
    abstracts, reviewers, per_abstract = world
    plan = assign_reviewers(abstracts, reviewers, per_abstract)
    reviewer_of = {reviewer.id: reviewer for reviewer in reviewers}
    given_to = by_abstract(plan)

    for abstract in abstracts:
        chosen = given_to[abstract.id]
        assert all(conflict_rule(abstract, reviewer_of[r]) is None for r in chosen)
        assert len(chosen) == len(set(chosen)) == min(per_abstract, len(eligible(abstract, reviewers)))
    short = {shortfall.abstract_id: shortfall for shortfall in plan.shortfalls}
    for abstract in abstracts:
        if len(given_to[abstract.id]) < per_abstract:
            assert short[abstract.id].assigned == len(given_to[abstract.id])
        else:
            assert abstract.id not in short


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_topic_reviewers_come_first(world: tuple[list[AbstractFacts], list[ReviewerFacts], int]) -> None:
    abstracts, reviewers, per_abstract = world
    plan = assign_reviewers(abstracts, reviewers, per_abstract)
    reviewer_of = {reviewer.id: reviewer for reviewer in reviewers}
    outside = set(plan.outside_topic)

    for abstract_id, chosen in by_abstract(plan).items():
        abstract = next(a for a in abstracts if a.id == abstract_id)
        in_topic = [r for r in eligible(abstract, reviewers) if abstract.topic_id in r.topic_ids]
        topical = [r for r in chosen if abstract.topic_id in reviewer_of[r].topic_ids]
        assert len(topical) == min(len(in_topic), len(chosen))
        assert {(abstract_id, r) for r in chosen if r not in topical} == {p for p in outside if p[0] == abstract_id}


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 15), st.integers(1, 5))
def test_loads_stay_within_one_when_everyone_may_review_everything(
    abstract_count: int, reviewer_count: int, per_abstract: int
) -> None:
    abstracts = [AbstractFacts(id=uuid.UUID(int=n + 1), topic_id=TOPICS[n % 2]) for n in range(abstract_count)]
    reviewers = [
        ReviewerFacts(id=uuid.UUID(int=10_000 + n), email=f"r{n}@example.org", topic_ids=frozenset(TOPICS[:2]))
        for n in range(reviewer_count)
    ]

    plan = assign_reviewers(abstracts, reviewers, per_abstract)

    loads = Counter(reviewer_id for _, reviewer_id in plan.added)
    counts = [loads[reviewer.id] for reviewer in reviewers]
    assert max(counts) - min(counts) <= 1
    assert len(plan.added) == abstract_count * min(per_abstract, reviewer_count)


@settings(max_examples=100, deadline=None)
@given(worlds(), st.data())
def test_existing_assignments_are_kept_and_a_second_run_adds_nothing(
    world: tuple[list[AbstractFacts], list[ReviewerFacts], int], data: st.DataObject
) -> None:
    abstracts, reviewers, per_abstract = world
    pairs = [(a.id, r.id) for a in abstracts for r in reviewers]
    manual = set(data.draw(st.lists(st.sampled_from(pairs), max_size=6))) if pairs else set()

    plan = assign_reviewers(abstracts, reviewers, per_abstract, existing=manual)

    assert not manual & set(plan.added)
    everything = manual | set(plan.added)
    assert len(everything) == len(manual) + len(plan.added)
    held = Counter(abstract_id for abstract_id, _ in everything)
    for abstract in abstracts:
        manual_here = {reviewer_id for abstract_id, reviewer_id in manual if abstract_id == abstract.id}
        available = manual_here | {reviewer.id for reviewer in eligible(abstract, reviewers)}
        assert held[abstract.id] == max(len(manual_here), min(per_abstract, len(available)))
    again = assign_reviewers(abstracts, reviewers, per_abstract, existing=everything)
    assert again.added == ()


def test_each_rule_is_named() -> None:
    abstract = AbstractFacts(
        id=uuid.UUID(int=1),
        topic_id=None,
        author_emails=frozenset({"Ana@Example.org"}),
        author_institutions=frozenset({"Karolinska  Institutet"}),
        submitter_email="sub@example.org",
    )

    base = ReviewerFacts(id=uuid.UUID(int=2), email="r@example.org")

    def rule(email: str = "r@example.org", **declared: set[Any]) -> ConflictRule | None:
        fields = {name: frozenset(value) for name, value in declared.items()}
        return conflict_rule(abstract, dataclasses.replace(base, email=email, **fields))  # type: ignore[arg-type]  # **fields of frozensets; mypy cannot match names

    assert rule() is None
    assert rule(email=" ana@example.ORG") == ConflictRule.REVIEWER_IS_AUTHOR
    assert rule(email="SUB@example.org") == ConflictRule.REVIEWER_IS_SUBMITTER
    assert rule(institutions={"karolinska institutet "}) == ConflictRule.SHARED_INSTITUTION
    assert rule(conflict_abstract_ids={uuid.UUID(int=1)}) == ConflictRule.DECLARED_ABSTRACT
    assert rule(conflict_emails={"ana@example.org"}) == ConflictRule.DECLARED_AUTHOR
    assert rule(conflict_emails={"sub@example.org"}) == ConflictRule.DECLARED_AUTHOR
    assert rule(conflict_institutions={"KAROLINSKA INSTITUTET"}) == ConflictRule.DECLARED_INSTITUTION
    assert rule(institutions={"MIT"}, conflict_institutions={"Oxford"}) is None


def test_three_thousand_abstracts_get_three_of_three_hundred_reviewers_balanced_and_without_conflicts() -> None:
    """The benchmark's size; its time is measured in bench/abstracts_bench.py (timed tests fail under load)."""
    topics = [uuid.UUID(int=100 + n) for n in range(12)]
    institutions = [f"Institution {n}" for n in range(80)]
    reviewers = [
        ReviewerFacts(
            id=uuid.UUID(int=10_000 + n),
            email=f"reviewer{n}@example.org",
            topic_ids=frozenset({topics[n % 12], topics[(n * 7) % 12]}),
            institutions=frozenset({institutions[n % 80]}),
            conflict_abstract_ids=frozenset({uuid.UUID(int=1 + (n * 13) % 3000)}),
        )
        for n in range(300)
    ]
    abstracts = [
        AbstractFacts(
            id=uuid.UUID(int=1 + n),
            topic_id=topics[n % 12],
            author_emails=frozenset({f"author{n}@example.org", f"reviewer{n % 300}@example.org"}),
            author_institutions=frozenset({institutions[n % 80], institutions[(n * 3) % 80]}),
            submitter_email=f"author{n}@example.org",
        )
        for n in range(3000)
    ]

    plan = assign_reviewers(abstracts, reviewers, 3)

    assert len(plan.added) == 9000 and not plan.shortfalls
    loads = Counter(reviewer_id for _, reviewer_id in plan.added)
    assert max(loads.values()) - min(loads.values()) <= 1
    reviewer_of = {reviewer.id: reviewer for reviewer in reviewers}
    abstract_of = {abstract.id: abstract for abstract in abstracts}
    assert all(conflict_rule(abstract_of[a], reviewer_of[r]) is None for a, r in plan.added)
