"""The SQLite tables of projections: the feature `projections`.

Checkpoints, dead letters and live versions. They may share a file with the event store (a
read model there is exactly-once with its checkpoint) or live in a file of their own beside
the read model; their versions are kept as those of the feature `projections` (see
`_feature_schema`), and a released entry never changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestrix.infrastructure.sqlite._feature_schema import FeatureSchema
from orchestrix.infrastructure.sqlite.schema import Migration

MIGRATIONS: Sequence[Migration] = (
    (  # 1: checkpoints, dead letters, live versions
        """
        CREATE TABLE projection_states (
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
        CREATE TABLE projection_dead_letters (
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
        CREATE TABLE projection_live_versions (
            name TEXT PRIMARY KEY,
            projection_id TEXT NOT NULL,
            promoted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )
        """,
    ),
)

PROJECTIONS = FeatureSchema("projections", MIGRATIONS)


__all__ = ["MIGRATIONS", "PROJECTIONS"]
