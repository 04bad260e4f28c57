"""Jobs on the wire (``/api/jobs``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

JobState = Literal["todo", "doing", "succeeded", "failed", "cancelled", "aborted"]


class JobRead(msgspec.Struct, frozen=True):
    """One job: what it runs with which arguments, where it stands, and how often it has been tried."""

    id: int
    task: str
    state: str
    args: dict[str, Any]
    attempts: int
    queue: str
    scheduled_at: dt.datetime | None = None
