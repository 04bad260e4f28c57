"""Async migration environment. The URL comes from the caller (CLI, tests) or else the environment."""

from __future__ import annotations

import asyncio
import dataclasses
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from podium.db import create_engine
from podium.jobs.schema import not_queue_object
from podium.main.models import metadata
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
        include_object=not_queue_object,
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


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Batch mode rebuilds a SQLite table by copying it and dropping the original; with foreign keys on, that
    drop cascades (dropping ``reg_order`` deleted every registration, badge and check-in under it). SQLite only
    takes this pragma outside a transaction, so it goes straight to the driver's connection."""
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None:
        raise RuntimeError("the migration's connection is closed")
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")


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
