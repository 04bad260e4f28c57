"""How many agenda seats a session may give out: its own capacity, else its room's, else unlimited.

The database holds the rule and enforces it: ``program_session.seat_limit`` is set by triggers whenever the
session's capacity or room, or that room's capacity, changes (migration ``20261203_seat_limit``), and
``CHECK (seats_taken <= seat_limit)`` refuses any write that would leave more seats taken than that, on every
write path. Picks compare against the column. This module words it for people: the limit a planned change
would give (to say why it is refused before it is written, naming the field) and the limit to show.
"""

from __future__ import annotations


def seat_limit(own_capacity: int | None, room_capacity: int | None) -> int | None:
    """The seats a session gives out: its own capacity, else its room's (no room: unlimited, None)."""
    return own_capacity if own_capacity is not None else room_capacity


def too_few_seats(limit: int | None, seats_taken: int) -> bool:
    """Whether ``limit`` would leave more seats taken than it allows."""
    return limit is not None and limit < seats_taken
