"""Query parameters several routes share, declared once so the published spec and the server agree.

A search text refuses control characters in its pattern: PostgreSQL refuses NUL in text, and
``podium.input_guards`` turns a NUL into a 422 before any handler runs, so a spec without the pattern
called such a request valid and then refused it (the fuzz test's "valid data rejected")."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

SEARCH_PATTERN = r"^[^\x00-\x1f\x7f]*$"
SEARCH_MAX_LENGTH = 200

Search = Annotated[str | None, QueryParameter(max_length=SEARCH_MAX_LENGTH, pattern=SEARCH_PATTERN)]
RequiredSearch = Annotated[
    str,
    QueryParameter(min_length=1, max_length=SEARCH_MAX_LENGTH, pattern=SEARCH_PATTERN, description="name or email"),
]
