"""Every feature's tables are versioned on their own in `feature_schema_versions`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestrix.core.common.exceptions import StoreError
from orchestrix.infrastructure.sqlite import (
    SQLiteCheckpointStore,
    SQLiteDeadlineStore,
    SQLiteEventStore,
    SQLiteInbox,
    SQLiteOutbox,
    SQLiteProcessStateStore,
    SQLiteSagaStateStore,
)
from orchestrix.infrastructure.sqlite._feature import SQLiteFeature
from orchestrix.infrastructure.sqlite.schema import MIGRATIONS

FEATURES: list[type[SQLiteFeature]] = [
    SQLiteOutbox,
    SQLiteInbox,
    SQLiteSagaStateStore,
    SQLiteProcessStateStore,
    SQLiteDeadlineStore,
    SQLiteCheckpointStore,
]


def feature_versions(path: Path) -> list[tuple[str, int]]:
    query = "SELECT feature, version FROM feature_schema_versions ORDER BY feature, version"
    with sqlite3.connect(path) as connection:
        rows = connection.execute(query).fetchall()
    connection.close()
    return rows


def event_store_versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    connection.close()
    return [version for (version,) in rows]


async def test_features_share_a_file_and_keep_their_own_versions(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    SQLiteEventStore(path).close()
    for feature in FEATURES:
        async with feature(path):
            pass
    assert feature_versions(path) == [
        ("inbox", 1),
        ("outbox", 1),
        ("projections", 1),
        ("sagas", 1),
    ]
    assert event_store_versions(path) == list(range(1, len(MIGRATIONS) + 1))
    with SQLiteEventStore(path) as store:  # the event store still opens the file
        assert store.load("anything") == []


async def test_the_outbox_brings_the_event_tables_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with SQLiteOutbox(path):
        pass
    assert event_store_versions(path) == list(range(1, len(MIGRATIONS) + 1))


async def test_a_feature_alone_does_not_create_the_event_tables(tmp_path: Path) -> None:
    path = tmp_path / "read-model.db"
    async with SQLiteInbox(path):
        pass
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "events" not in tables and "inbox" in tables


@pytest.mark.parametrize("feature", FEATURES, ids=lambda feature: feature.__name__)
async def test_tables_of_a_newer_release_are_refused(
    feature: type[SQLiteFeature], tmp_path: Path
) -> None:
    path = tmp_path / "future.db"
    async with feature(path):
        pass
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO feature_schema_versions (feature, version) VALUES (?, 99)",
            (feature.schema.name,),
        )
    connection.close()
    newer = feature(path)
    with pytest.raises(StoreError, match=f"{feature.schema.name} tables are at version 99"):
        await newer.initialize()
    await newer.close()
    assert (feature.schema.name, 99) in feature_versions(path)
