"""jobs: procrastinate's queue (PostgreSQL: its own schema; SQLite: the tables of podium.jobs.sqlite_connector)

Revision ID: 17a4a01d803b
Revises: c97bd5a9a7de
Create Date: 2026-12-03 06:00:00+00:00

On PostgreSQL this applies procrastinate's schema as shipped with 3.10.0 (a copy beside this file, so the
migration builds the same schema whatever version is installed later; a procrastinate upgrade applies the
files of its ``sql/migrations`` folder in a migration of its own). On SQLite it creates tables with the same
names and columns, which our connector runs the same queries on.
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op
from sqlalchemy.util import await_only

revision: str = "17a4a01d803b"
down_revision: str | None = "c97bd5a9a7de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).parent / "sql" / "procrastinate-3.10.0-schema.sql"

SQLITE_TABLES = [
    """CREATE TABLE procrastinate_workers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        last_heartbeat REAL NOT NULL
    )""",
    """CREATE TABLE procrastinate_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        queue_name VARCHAR(128) NOT NULL,
        task_name VARCHAR(128) NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        lock TEXT,
        queueing_lock TEXT,
        args TEXT NOT NULL DEFAULT '{}',
        status VARCHAR(16) NOT NULL DEFAULT 'todo',
        scheduled_at REAL,
        attempts INTEGER NOT NULL DEFAULT 0,
        abort_requested BOOLEAN NOT NULL DEFAULT 0,
        worker_id INTEGER REFERENCES procrastinate_workers (id) ON DELETE SET NULL,
        finished_at REAL
    )""",
    "CREATE UNIQUE INDEX procrastinate_jobs_queueing_lock_idx_v1 ON procrastinate_jobs (queueing_lock)"
    " WHERE status = 'todo'",
    "CREATE UNIQUE INDEX procrastinate_jobs_lock_idx_v1 ON procrastinate_jobs (lock) WHERE status = 'doing'",
    "CREATE INDEX procrastinate_jobs_status_idx ON procrastinate_jobs (status, priority DESC, id)",
    """CREATE TABLE procrastinate_periodic_defers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_name VARCHAR(128) NOT NULL,
        defer_timestamp BIGINT,
        job_id INTEGER REFERENCES procrastinate_jobs (id) ON DELETE SET NULL,
        periodic_id VARCHAR(128) NOT NULL DEFAULT '',
        CONSTRAINT procrastinate_periodic_defers_unique UNIQUE (task_name, periodic_id, defer_timestamp)
    )""",
]

DROP_POSTGRES = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE fn regprocedure;
BEGIN
    FOR fn IN SELECT oid::regprocedure FROM pg_proc WHERE proname LIKE 'procrastinate\\_%' LOOP
        EXECUTE 'DROP FUNCTION ' || fn || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status CASCADE;
"""


def _postgres_script(script: str) -> None:
    """Run a multi-statement script in the migration's transaction (asyncpg's simple protocol takes several)."""
    driver = op.get_bind().connection.driver_connection
    assert driver is not None  # the migration's connection is checked out, so its asyncpg connection is there
    await_only(driver.execute(script))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_script(SCHEMA.read_text(encoding="utf-8"))
        return
    for statement in SQLITE_TABLES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_script(DROP_POSTGRES)
        return
    for table in ("procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers"):
        op.execute(f"DROP TABLE {table}")
