"""Who gets to write to the terminal: our own packages at ``PODIUM_LOG_LEVEL`` (INFO: a mail written, a job
retried, holds ended), every library at ``PODIUM_LIBRARY_LOG_LEVEL`` (WARNING).

Litestar's default configures the root logger at INFO, which let alembic print a line per migration, fontTools
a line per subset font and procrastinate a line per periodic job every five seconds: a first run of
``./scripts/demo`` buried its logins under them. Warnings and errors from libraries still show.
"""

from __future__ import annotations

from litestar.logging.config import LoggingConfig

from podium.settings import Settings

# Our top-level packages; a module's logger is named after it (``registration.outbox``), so these cover all.
OWN_PACKAGES = ("podium", "events", "registration", "sessions", "badges")


def logging_config(settings: Settings) -> LoggingConfig:
    # No handlers of their own: records propagate to the root's handler (and to pytest's caplog there), which
    # passes whatever a logger lets through; the root's level only gates libraries that set none.
    own = {"level": settings.log_level, "handlers": [], "propagate": True}
    return LoggingConfig(
        root={"handlers": ["queue_listener"], "level": settings.library_log_level},
        loggers={
            "litestar": {"level": settings.library_log_level, "handlers": ["queue_listener"], "propagate": False},
            **{name: dict(own) for name in OWN_PACKAGES},
        },
        formatters={"standard": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    )
