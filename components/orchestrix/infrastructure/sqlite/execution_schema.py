"""The SQLite tables of sagas, process managers and deadlines: the feature `sagas`.

They may live in the event store's file or in a file of their own; their versions are kept as
those of the feature `sagas` (see `_feature_schema`). Every statement is idempotent (IF NOT
EXISTS), and a released entry never changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestrix.infrastructure.sqlite._feature_schema import FeatureSchema
from orchestrix.infrastructure.sqlite.schema import Migration

MIGRATIONS: Sequence[Migration] = (
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

SAGAS = FeatureSchema("sagas", MIGRATIONS)


__all__ = ["MIGRATIONS", "SAGAS"]
