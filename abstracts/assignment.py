"""Automatic reviewer assignment: a pure function, so every rule is tested on random data without a database.

Each abstract gets ``per_abstract`` distinct reviewers, never one with a conflict of interest
(:mod:`abstracts.review_conflicts`). Reviewers of the abstract's topic come first; others only when the topic
lacks enough eligible reviewers, and an abstract that still falls short is reported. Within those rules the
choice is greedy least-loaded: the reviewers with the fewest assignments so far, ties broken by reviewer id, so
the same input gives the same plan. Abstracts with the fewest eligible topic reviewers go first, while everyone
still has room. When every reviewer may review everything this keeps the loads within one of each other (the N
least loaded of loads that differ by at most one again differ by at most one).

Existing assignments (made by hand, or by an earlier run) are kept and count towards both the abstract's N and
the reviewer's load, so running again only fills what is missing.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from abstracts.review_conflicts import AbstractFacts, ConflictIndex, ReviewerFacts

Pair = tuple[UUID, UUID]
"""An assignment: (abstract id, reviewer id)."""


@dataclass(frozen=True, slots=True)
class Shortfall:
    """An abstract that could not get the reviewers it wanted: too few reviewers without a conflict."""

    abstract_id: UUID
    wanted: int
    assigned: int


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    added: tuple[Pair, ...]
    """New assignments only (the existing ones are kept as they are)."""
    outside_topic: tuple[Pair, ...]
    """The part of ``added`` given to a reviewer who doesn't review the abstract's topic."""
    shortfalls: tuple[Shortfall, ...]


def assign_reviewers(
    abstracts: Sequence[AbstractFacts],
    reviewers: Sequence[ReviewerFacts],
    per_abstract: int,
    existing: Iterable[Pair] = (),
) -> AssignmentPlan:
    """Plan the assignments that bring every abstract up to ``per_abstract`` reviewers (see the module)."""
    if per_abstract < 0:
        raise ValueError("per_abstract must not be negative")
    pool = sorted(reviewers, key=lambda reviewer: reviewer.id)
    position_of = {reviewer.id: position for position, reviewer in enumerate(pool)}
    index = ConflictIndex.build(pool)
    by_topic: dict[UUID, list[int]] = defaultdict(list)
    for position, reviewer in enumerate(pool):
        for topic_id in reviewer.topic_ids:
            by_topic[topic_id].append(position)

    loads = [0] * len(pool)
    held: dict[UUID, set[UUID]] = defaultdict(set)
    for abstract_id, reviewer_id in set(existing):
        held[abstract_id].add(reviewer_id)
        if reviewer_id in position_of:
            loads[position_of[reviewer_id]] += 1

    queue = []
    for abstract in abstracts:
        excluded = index.conflicted(abstract) | {position_of[r] for r in held[abstract.id] if r in position_of}
        topic = by_topic.get(abstract.topic_id, []) if abstract.topic_id is not None else []
        open_in_topic = sum(1 for position in topic if position not in excluded)
        queue.append((open_in_topic, abstract.id, abstract, excluded, topic))
    queue.sort(key=lambda item: (item[0], item[1]))

    chosen_for: dict[UUID, list[int]] = {}
    shortfalls: list[Shortfall] = []
    for _, abstract_id, _, excluded, topic in queue:
        need = per_abstract - len(held[abstract_id])
        if need <= 0:
            continue
        chosen = _least_loaded(need, (p for p in topic if p not in excluded), loads)
        if len(chosen) < need:
            in_topic = set(topic)
            others = (p for p in range(len(pool)) if p not in excluded and p not in in_topic)
            chosen += _least_loaded(need - len(chosen), others, loads)
        for position in chosen:
            loads[position] += 1
            excluded.add(position)
        chosen_for[abstract_id] = chosen
        if len(chosen) < need:
            shortfalls.append(Shortfall(abstract_id, per_abstract, per_abstract - need + len(chosen)))
    # One set per topic, shared by its abstracts (``_move_one`` knows a topic by it).
    topic_sets = {id(topic): set(topic) for *_, topic in queue}
    options = {abstract_id: (excluded, topic_sets[id(topic)]) for _, abstract_id, _, excluded, topic in queue}
    _rebalance(chosen_for, options, loads)

    added = [(abstract_id, pool[p].id) for abstract_id, chosen in chosen_for.items() for p in chosen]
    topic_of = {abstract.id: abstract.topic_id for abstract in abstracts}
    outside = [(a, r) for a, r in added if topic_of[a] is None or topic_of[a] not in pool[position_of[r]].topic_ids]
    return AssignmentPlan(added=tuple(added), outside_topic=tuple(outside), shortfalls=tuple(shortfalls))


def _rebalance(
    chosen_for: dict[UUID, list[int]], options: dict[UUID, tuple[set[int], set[int]]], loads: list[int]
) -> None:
    """Move new assignments from the most loaded reviewers to ones with at least two fewer, where the rules
    allow (no conflict, not already assigned, and a topic reviewer's place only to another topic reviewer), until
    no move is left. Greedy order alone leaves a few reviewers one over when topics and conflicts narrow the
    choice; each move lowers the spread, so this ends."""
    given: dict[int, list[UUID]] = defaultdict(list)
    for abstract_id, chosen in chosen_for.items():
        for position in chosen:
            given[position].append(abstract_id)
    moved = True
    while moved:
        moved = False
        low = min(loads, default=0)
        for source in sorted(given, key=lambda position: (-loads[position], position)):
            if loads[source] - low <= 1:
                break
            if _move_one(source, given, chosen_for, options, loads):
                moved = True
                break


def _move_one(
    source: int,
    given: dict[int, list[UUID]],
    chosen_for: dict[UUID, list[int]],
    options: dict[UUID, tuple[set[int], set[int]]],
    loads: list[int],
) -> bool:
    # The least load among a topic's reviewers, once per topic per call: most of a loaded reviewer's abstracts
    # share their topics, and when no topic reviewer is two below there is nothing to find (scanning every
    # abstract's candidates anyway took 7 of 10 seconds at 3,000 abstracts and 300 reviewers).
    floors: dict[int, int] = {}
    for abstract_id in given[source]:
        excluded, topic = options[abstract_id]
        if source in topic:
            floor = floors.get(id(topic))
            if floor is None:
                floor = floors[id(topic)] = min(loads[p] for p in topic)
            if floor > loads[source] - 2:
                continue
        allowed = topic if source in topic else range(len(loads))
        targets = [p for p in allowed if p not in excluded and loads[p] <= loads[source] - 2]
        if not targets:
            continue
        target = min(targets, key=lambda position: (position not in topic, loads[position], position))
        chosen = chosen_for[abstract_id]
        chosen[chosen.index(source)] = target
        excluded.discard(source)
        excluded.add(target)
        given[source].remove(abstract_id)
        given[target].append(abstract_id)
        loads[source] -= 1
        loads[target] += 1
        return True
    return False


def _least_loaded(count: int, candidates: Iterable[int], loads: Sequence[int]) -> list[int]:
    """The ``count`` candidates with the fewest assignments, ties to the lower position (the lower reviewer id)."""
    return heapq.nsmallest(count, candidates, key=lambda position: (loads[position], position))
