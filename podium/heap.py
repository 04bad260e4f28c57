"""Keep the garbage collector's full passes short in a serving worker.

A started worker holds a large, long-lived heap (routes, SQLAlchemy mappers, templates, the OpenAPI schema)
that every full (generation 2) collection walks again. Under load those passes came every second or so and
stopped the worker's event loop for up to ~130 ms each (bench/registration_rush, measured with gc.callbacks),
which every request in flight waited out. Frozen objects are skipped by the collector; reference counting
still frees them, and what requests allocate later is collected as usual.
"""

from __future__ import annotations

import gc

from podium.settings import Settings


def freeze_startup_heap(settings: Settings) -> None:
    if settings.freeze_heap_at_startup:
        gc.collect()
        gc.freeze()
