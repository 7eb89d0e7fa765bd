"""Schemas of optional features (outbox, inbox) kept in the same file as the events.

Each feature owns a short list of migrations, applied in order and recorded per feature in
`feature_schema_versions`, apart from the event store's own `schema_version`: a file gets a
feature's tables only when the feature is used, and the store's numbering stays its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from orchestrix.core.common.exceptions import StoreError

type FeatureMigration = Sequence[str]

_VERSIONS = """
    CREATE TABLE IF NOT EXISTS feature_schema_versions (
        feature TEXT NOT NULL,
        version INTEGER NOT NULL,
        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (feature, version)
    )
"""


def migrate_feature(
    connection: sqlite3.Connection, feature: str, migrations: Sequence[FeatureMigration]
) -> None:
    """Apply the migrations of `feature` the file lacks; call it in a write transaction."""
    connection.execute(_VERSIONS)
    (applied,) = connection.execute(
        "SELECT COALESCE(MAX(version), 0) FROM feature_schema_versions WHERE feature = ?",
        (feature,),
    ).fetchone()
    if applied > len(migrations):
        raise StoreError(
            f"The {feature} tables are at schema version {applied}, newer than this Orchestrix "
            f"knows ({len(migrations)}); upgrade Orchestrix to use them"
        )
    for number in range(applied + 1, len(migrations) + 1):
        for statement in migrations[number - 1]:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO feature_schema_versions (feature, version) VALUES (?, ?)",
            (feature, number),
        )


def timestamp_text(moment: datetime) -> str:
    """Fixed-width UTC text for a time column, so that comparing texts compares times."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


__all__ = ["FeatureMigration", "migrate_feature", "timestamp_text"]
