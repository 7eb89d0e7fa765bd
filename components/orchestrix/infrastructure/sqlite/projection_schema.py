"""The tables of projections in a SQLite file: checkpoints, dead letters, live versions.

They may share a file with the event store (a read model there is exactly-once with its
checkpoint) or live in a file of their own beside the read model. Their schema is versioned
apart from the event store's, in `projection_schema_version`, so either can evolve alone;
migrations are appended, never changed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence

from orchestrix.core.common.exceptions import StoreError
from orchestrix.infrastructure.sqlite._driver import Synchronous, connect

MIGRATIONS: Sequence[Sequence[str]] = (
    (  # 1: checkpoints, dead letters, live versions
        """
        CREATE TABLE IF NOT EXISTS projection_states (
            projection_id TEXT PRIMARY KEY,
            last_event_id TEXT,
            last_position INTEGER NOT NULL,
            last_tx_id INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            error_count INTEGER NOT NULL,
            is_healthy INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS projection_dead_letters (
            projection_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            aggregate_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            tx_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            error_type TEXT NOT NULL,
            error_message TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            failed_at TEXT NOT NULL,
            PRIMARY KEY (projection_id, event_id)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS projection_live_versions (
            name TEXT PRIMARY KEY,
            projection_id TEXT NOT NULL,
            promoted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )
        """,
    ),
)

_VERSION_TABLE = """
    CREATE TABLE IF NOT EXISTS projection_schema_version (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    )
"""


def migrate_projections(connection: sqlite3.Connection) -> None:
    """Apply the projection migrations the file lacks (inside a write transaction)."""
    connection.execute(_VERSION_TABLE)
    (applied,) = connection.execute(
        "SELECT COALESCE(MAX(version), 0) FROM projection_schema_version"
    ).fetchone()
    if applied > len(MIGRATIONS):
        raise StoreError(
            f"The projection tables have schema version {applied}, newer than the "
            f"{len(MIGRATIONS)} this version of Orchestrix knows; upgrade Orchestrix"
        )
    for number in range(applied + 1, len(MIGRATIONS) + 1):
        for statement in MIGRATIONS[number - 1]:
            connection.execute(statement)
        connection.execute("INSERT INTO projection_schema_version (version) VALUES (?)", (number,))


def open_projection_database(
    path: str | os.PathLike[str], synchronous: Synchronous = "FULL"
) -> sqlite3.Connection:
    """A connection in autocommit mode (WAL, `synchronous`) with the projection tables."""
    return connect(path, synchronous, migrate_projections, "projection database")


__all__ = ["MIGRATIONS", "migrate_projections", "open_projection_database"]
