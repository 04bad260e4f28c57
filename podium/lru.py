"""A small least-recently-used map for caches in one worker's memory.

Only for pure caches: entries keyed by something that names their content for good (a fingerprint read from the
database on every request, a content digest), so an entry is never stale and losing it only costs the work of
making it again. Nothing that must hold across requests or workers belongs here.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

_Entry = TypeVar("_Entry")


class Lru(Generic[_Entry]):
    """At most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self.entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, key: str) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: _Entry) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
