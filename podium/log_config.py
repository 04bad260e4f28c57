"""Who gets to write to the terminal, and how: our own packages at ``PODIUM_LOG_LEVEL`` (INFO: a mail written, a
job retried, holds ended), every library at ``PODIUM_LIBRARY_LOG_LEVEL`` (WARNING); one readable line per record,
or with ``PODIUM_LOG_FORMAT=json`` one JSON object per line carrying the request's id (``podium/request_id.py``).

Litestar's default configures the root logger at INFO, which let alembic print a line per migration, fontTools
a line per subset font and procrastinate a line per periodic job every five seconds: a first run of
``./scripts/demo`` buried its logins under them. Warnings and errors from libraries still show.
"""

from __future__ import annotations

import copy
from typing import Any

from litestar.logging.config import LoggingConfig, default_handlers

from podium.settings import Settings

# Our top-level packages; a module's logger is named after it (``registration.mail.attachments``), so these cover all.
OWN_PACKAGES = ("podium", "events", "registration", "sessions", "badges")
# uvicorn configures these itself (plain text, its own handlers); in JSON they go through ours instead.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# python-json-logger: these fields first, then any ``extra=`` a call passes; ``time`` is ISO 8601 in UTC.
JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
}


def logging_config(settings: Settings) -> LoggingConfig:
    # No handlers of their own: records propagate to the root's handler (and to pytest's caplog there), which
    # passes whatever a logger lets through; the root's level only gates libraries that set none.
    own = {"level": settings.log_level, "handlers": [], "propagate": True}
    library = {"level": settings.library_log_level, "handlers": ["queue_listener"], "propagate": False}
    loggers: dict[str, dict[str, Any]] = {"litestar": dict(library), **{name: dict(own) for name in OWN_PACKAGES}}
    if settings.log_format != "json":
        return LoggingConfig(
            root={"handlers": ["queue_listener"], "level": settings.library_log_level},
            loggers=loggers,
            formatters={"standard": {"format": TEXT_FORMAT}},
        )
    # The filter sits on the handler every logger ends in, and runs in the task that logs (before the queue).
    queue_listener = {**copy.deepcopy(default_handlers["queue_listener"]), "filters": ["request_id"]}
    return LoggingConfig(
        root={"handlers": ["queue_listener"], "level": settings.library_log_level},
        loggers={**loggers, **{name: dict(library) for name in UVICORN_LOGGERS}},
        formatters={"standard": JSON_FORMATTER},
        filters={"request_id": {"()": "podium.request_id.RequestIdLogFilter"}},
        handlers={"console": copy.deepcopy(default_handlers["console"]), "queue_listener": queue_listener},
    )
