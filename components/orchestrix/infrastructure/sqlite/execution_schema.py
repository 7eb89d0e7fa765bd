"""The SQLite tables of sagas, process managers and deadlines, with their own migrations.

They may live in the event store's file or in a file of their own. Their versions are kept in
`execution_schema_version`, apart from the event store's `schema_version`, so each list of
migrations grows on its own. Every statement is idempotent (IF NOT EXISTS), and a released
entry never changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from orchestrix.core.common.exceptions import StoreError

MIGRATIONS: Sequence[Sequence[str]] = (
    (  # 1: saga states, process instances, deadlines
        """
        CREATE TABLE IF NOT EXISTS saga_states (
            saga_id TEXT PRIMARY KEY,
            saga_type TEXT NOT NULL,
            status TEXT NOT NULL,
            version INTEGER NOT NULL,
            current_step_index INTEGER NOT NULL,
            step_statuses TEXT NOT NULL,
            context TEXT NOT NULL,
            error TEXT,
            started_at TEXT,
            completed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS saga_states_status_idx ON saga_states (status, created_at)",
        """
        CREATE TABLE IF NOT EXISTS process_instances (
            process_type TEXT NOT NULL,
            process_id TEXT NOT NULL,
            status TEXT NOT NULL,
            version INTEGER NOT NULL,
            state TEXT NOT NULL,
            handled TEXT NOT NULL,
            deadlines TEXT NOT NULL,
            pending TEXT NOT NULL,
            has_pending INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (process_type, process_id)
        )
        """,
        """
        CREATE INDEX IF NOT EXISTS process_instances_pending_idx
        ON process_instances (process_type, created_at) WHERE has_pending
        """,
        """
        CREATE TABLE IF NOT EXISTS deadlines (
            deadline_id TEXT PRIMARY KEY,
            owner_type TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            name TEXT NOT NULL,
            due_at TEXT NOT NULL,
            message TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS deadlines_due_idx ON deadlines (due_at, deadline_id)",
        "CREATE INDEX IF NOT EXISTS deadlines_owner_idx ON deadlines (owner_type, owner_id)",
    ),
)

_VERSION_TABLE = """
    CREATE TABLE IF NOT EXISTS execution_schema_version (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    )
"""


def migrate(connection: sqlite3.Connection) -> None:
    """Apply the missing migrations in order; call it inside a write transaction."""
    connection.execute(_VERSION_TABLE)
    (applied,) = connection.execute(
        "SELECT COALESCE(MAX(version), 0) FROM execution_schema_version"
    ).fetchone()
    if applied > len(MIGRATIONS):
        raise StoreError(
            f"The database's saga tables are at version {applied}, newer than the "
            f"{len(MIGRATIONS)} this version of Orchestrix knows; upgrade Orchestrix to open it"
        )
    for number in range(applied + 1, len(MIGRATIONS) + 1):
        for statement in MIGRATIONS[number - 1]:
            connection.execute(statement)
        connection.execute("INSERT INTO execution_schema_version (version) VALUES (?)", (number,))


__all__ = ["MIGRATIONS", "migrate"]
