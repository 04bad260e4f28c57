"""Row counts of conditional UPDATEs: the atomic test-and-set every domain builds its counters and state
changes on (a seat taken only while ``used + n <= size``, a status moved only from the one it had)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession


async def rows_changed(db_session: AsyncSession, statement: Update) -> int:
    """Run a conditional UPDATE and say how many rows it changed: the atomic test-and-set we rely on."""
    result = cast(CursorResult[Any], await db_session.execute(statement.execution_options(synchronize_session=False)))
    return result.rowcount
