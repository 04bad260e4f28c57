"""Async migration environment. The URL comes from the caller (CLI, tests) or else the environment."""

from __future__ import annotations

import asyncio
import dataclasses
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from podium.db import create_engine
from podium.models import metadata
from podium.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _settings() -> Settings:
    settings = config.attributes.get("settings")
    return settings if isinstance(settings, Settings) else Settings.from_env()


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        # advanced-alchemy's GUID reflects as NUMERIC on SQLite; compare column types on PostgreSQL only.
        compare_type=connection is None or connection.dialect.name != "sqlite",
        # SQLite can't ALTER most things in place; batch mode rebuilds tables instead.
        render_as_batch=True,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    _configure(url=_settings().database_url)
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    # A migration may rewrite a large table: no statement timeout (the connect timeout still holds).
    engine = create_engine(dataclasses.replace(_settings(), db_statement_timeout=0))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
