"""The SQLite schema as numbered migrations, applied in order and recorded in `schema_version`.

A file written by an older release is brought up to date when it is opened, and opening an
up-to-date file changes nothing. New migrations are appended to `MIGRATIONS`; a released entry
never changes, because files in the field have already applied it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from orchestrix.core.common.exceptions import StoreError

type Migration = Sequence[str]
"""The SQL statements of one migration, run in order in the same transaction."""

MIGRATIONS: Sequence[Migration] = (
    (  # 1: the event log and the latest snapshot per aggregate
        """
        CREATE TABLE events (
            position INTEGER PRIMARY KEY AUTOINCREMENT,
            stream_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            event_id TEXT NOT NULL UNIQUE,
            event_type TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            timestamp TEXT NOT NULL,
            correlation_id TEXT,
            causation_id TEXT,
            trace_id TEXT,
            actor_id TEXT,
            payload TEXT NOT NULL,
            UNIQUE (stream_id, version)
        )
        """,
        """
        CREATE TABLE snapshots (
            aggregate_id TEXT PRIMARY KEY,
            aggregate_type TEXT NOT NULL,
            version INTEGER NOT NULL,
            schema_version INTEGER NOT NULL,
            timestamp TEXT NOT NULL,
            state TEXT NOT NULL
        )
        """,
    ),
    (  # 2: the class hint beside the type name (NULL in rows written before it)
        "ALTER TABLE events ADD COLUMN type_hint TEXT",
    ),
)

_VERSION_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    )
"""


def migrate(connection: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Apply the migrations the database lacks, in order.

    Call it inside a write transaction (`BEGIN IMMEDIATE`), so that two processes opening a
    new file at once apply each migration exactly once.
    """
    connection.execute(_VERSION_TABLE)
    applied = schema_version(connection)
    if applied > len(migrations):
        raise StoreError(
            f"The database has schema version {applied}, newer than the {len(migrations)} "
            "this version of Orchestrix knows; upgrade Orchestrix to open it"
        )
    for number in range(applied + 1, len(migrations) + 1):
        for statement in migrations[number - 1]:
            connection.execute(statement)
        connection.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))


def schema_version(connection: sqlite3.Connection) -> int:
    """The number of migrations the database has applied (0 for a new file); reads only,
    so tools can tell what `migrate` would do without doing it."""
    (has_table,) = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not has_table:
        return 0
    version: int = connection.execute(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version"
    ).fetchone()[0]
    return version


__all__ = ["MIGRATIONS", "Migration", "migrate", "schema_version"]
