"""The queue's tables belong to procrastinate (PostgreSQL) or our connector (SQLite), not to our models:
migrations create them from SQL, and the models-versus-database comparisons leave them out."""

from __future__ import annotations

from typing import Any

QUEUE_TABLE_PREFIX = "procrastinate_"


def not_queue_object(obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
    """Alembic's ``include_object`` hook: everything but the queue's tables and their indexes."""
    table = getattr(obj, "table", None) if type_ != "table" else obj
    table_name = getattr(table, "name", None) if table is not None else name
    return not (table_name or name or "").startswith(QUEUE_TABLE_PREFIX)
