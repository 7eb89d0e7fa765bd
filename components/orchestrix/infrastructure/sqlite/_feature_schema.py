"""The schema of a feature that keeps its own tables in a SQLite file, versioned on its own.

Sagas, process managers and deadlines, the outbox and the inbox each own a short list of
migrations, applied in order and recorded per feature in `feature_schema_versions`, apart from
the event store's own `schema_version`: a file gets a feature's tables only when the feature
is used, each list grows on its own, and a released entry never changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from orchestrix.core.common.exceptions import StoreError
from orchestrix.infrastructure.sqlite.schema import Migration
from orchestrix.infrastructure.sqlite.schema import migrate as migrate_event_store

_VERSIONS = """
    CREATE TABLE IF NOT EXISTS feature_schema_versions (
        feature TEXT NOT NULL,
        version INTEGER NOT NULL,
        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (feature, version)
    )
"""


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """The migrations of the feature `name`; `on_event_store` when its tables refer to the
    event store's (the outbox's trigger is on `events`), which are then migrated first."""

    name: str
    migrations: Sequence[Migration]
    on_event_store: bool = False

    def migrate(self, connection: sqlite3.Connection) -> None:
        """Apply the migrations the file lacks; call it in a write transaction."""
        if self.on_event_store:
            migrate_event_store(connection)
        connection.execute(_VERSIONS)
        (applied,) = connection.execute(
            "SELECT COALESCE(MAX(version), 0) FROM feature_schema_versions WHERE feature = ?",
            (self.name,),
        ).fetchone()
        if applied > len(self.migrations):
            raise StoreError(
                f"The database's {self.name} tables are at version {applied}, newer than the "
                f"{len(self.migrations)} this version of Orchestrix knows; upgrade Orchestrix "
                "to open it"
            )
        for number in range(applied + 1, len(self.migrations) + 1):
            for statement in self.migrations[number - 1]:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO feature_schema_versions (feature, version) VALUES (?, ?)",
                (self.name, number),
            )


__all__ = ["FeatureSchema"]
