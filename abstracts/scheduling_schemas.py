"""Wire types of placing accepted abstracts into the program."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

Minutes = Annotated[int, msgspec.Meta(ge=1, le=600)]
Board = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")]


class TalkSlot(msgspec.Struct, forbid_unknown_fields=True):
    abstract_id: UUID
    minutes: Minutes


class PosterSlot(msgspec.Struct, forbid_unknown_fields=True):
    abstract_id: UUID
    board: Board


class TalksPlacement(msgspec.Struct, forbid_unknown_fields=True):
    """The session's talks, in order: the whole list (a talk not listed leaves the session). An accepted
    symposium proposal listed here stands for its talks, in their order, each of its ``minutes``."""

    talks: Annotated[list[TalkSlot], msgspec.Meta(max_length=200)]


class PostersPlacement(msgspec.Struct, forbid_unknown_fields=True):
    """The poster session's posters with their boards: the whole list."""

    posters: Annotated[list[PosterSlot], msgspec.Meta(max_length=5000)]


class TalkRead(msgspec.Struct):
    id: UUID
    abstract_id: UUID | None
    position: int
    minutes: int | None
    board: str | None
    title: str
    number: int | None
    speaker_id: UUID | None
