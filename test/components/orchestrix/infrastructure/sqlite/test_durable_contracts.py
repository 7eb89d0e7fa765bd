"""The SQLite stores keep class identities, read older rows and survive snapshot damage."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrix.infrastructure.sqlite import SQLiteEventStore
from orchestrix.infrastructure.sqlite.schema import MIGRATIONS, migrate
from test.contracts.event_store import SyncStoreUnderTest
from test.contracts.snapshot_damage import Damage, SnapshotDamageContract
from test.contracts.type_names import PREVIOUS_FORMAT, Durable, TypeNameContract

INSERT = """
    INSERT INTO events (stream_id, version, event_id, event_type, schema_version, timestamp,
        payload {hint_column}) VALUES (?, 1, ?, ?, 1, '2024-06-01T12:00:00+00:00', ? {hint})
"""


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[SQLiteEventStore, sqlite3.Connection]]:
    """A store and a raw connection to its file."""
    path = tmp_path / "events.db"
    store = SQLiteEventStore(path)
    raw = sqlite3.connect(path, isolation_level=None)
    yield store, raw
    raw.close()
    store.close()


class TestSQLiteTypeNames(TypeNameContract):
    @pytest.fixture
    def durable(self, opened: tuple[SQLiteEventStore, sqlite3.Connection]) -> Durable:
        store, raw = opened

        async def insert_raw(stream: str, event_type: str, hint: str | None, payload: str) -> None:
            sql = INSERT.format(hint_column=", type_hint", hint=", ?")
            raw.execute(sql, (stream, f"raw-{stream}", event_type, payload, hint))

        return SyncStoreUnderTest(store), insert_raw


def test_a_file_of_the_previous_release_is_migrated_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "previous.db"
    raw = sqlite3.connect(path, isolation_level=None)
    migrate(raw, MIGRATIONS[:1])
    sql = INSERT.format(hint_column="", hint="")
    raw.execute(sql, ("old", "raw-old", "ContractEverything", PREVIOUS_FORMAT))
    raw.close()
    with SQLiteEventStore(path) as store:
        (loaded,) = store.load("old")
        assert loaded.id == "00000000-0000-4000-8000-000000000001"
        assert type(loaded).__name__ == "ContractEverything"
        store.save("old", [loaded.__class__(**{**loaded.__dict__, "id": "new"})])
        assert len(store.load("old")) == 2


class TestSQLiteSnapshotDamage(SnapshotDamageContract):
    @pytest.fixture
    def damage(self, opened: tuple[SQLiteEventStore, sqlite3.Connection]) -> Damage:
        store, raw = opened

        async def break_snapshots() -> None:
            raw.execute("DROP TABLE snapshots")

        async def write_state(aggregate_id: str, state: str) -> None:
            raw.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, 'DamageCounter', 1, 1, ?, ?)",
                (aggregate_id, "2024-01-01T00:00:00+00:00", state),
            )

        return store, break_snapshots, write_state
