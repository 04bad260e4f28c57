"""Wire type of the abstract book's build."""

from __future__ import annotations

import datetime as dt

import msgspec


class BookRead(msgspec.Struct):
    """Where the book's build stands: ``queued`` → ``running`` → ``done`` (download ``pdf_url``) or ``failed``
    (``error`` says why; asking again starts over). ``joined``: this request found the build already under way."""

    state: str
    requested_at: dt.datetime
    requested_by: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    abstracts: int
    size: int
    error: str
    pdf_url: str | None
    joined: bool = False
