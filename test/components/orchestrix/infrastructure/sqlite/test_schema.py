"""The schema is created idempotently, versioned, and migrated in order; pragmas are set."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.common.validation import ValidationError
from orchestrix.infrastructure.sqlite import SQLiteAsyncEventStore, SQLiteEventStore
from orchestrix.infrastructure.sqlite._driver import immediate_transaction
from orchestrix.infrastructure.sqlite.schema import MIGRATIONS, migrate
from test.contracts.event_store import added


def schema_versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT version FROM schema_version ORDER BY version")
        return [version for (version,) in rows]


def test_opening_twice_applies_each_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteEventStore(path) as store:
        store.save("s", [added()])
    with SQLiteEventStore(path) as store:
        assert len(store.load("s")) == 1
    assert schema_versions(path) == list(range(1, len(MIGRATIONS) + 1))


def test_later_migrations_are_applied_in_order_on_open(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    SQLiteEventStore(path).close()
    later = [
        *MIGRATIONS,
        ["CREATE TABLE extra (n INTEGER)", "INSERT INTO extra VALUES (1)"],
        ["INSERT INTO extra SELECT n + 1 FROM extra"],
    ]
    with sqlite3.connect(path, isolation_level=None) as connection:
        with immediate_transaction(connection):
            migrate(connection, later)
        with immediate_transaction(connection):
            migrate(connection, later)
        assert [n for (n,) in connection.execute("SELECT n FROM extra ORDER BY n")] == [1, 2]
    connection.close()
    assert schema_versions(path) == list(range(1, len(later) + 1))


def test_a_failing_migration_is_rolled_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    SQLiteEventStore(path).close()
    broken = [*MIGRATIONS, ["CREATE TABLE extra (n INTEGER)", "NOT SQL AT ALL"]]
    connection = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError), immediate_transaction(connection):
        migrate(connection, broken)
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "extra" not in tables
    assert schema_versions(path) == list(range(1, len(MIGRATIONS) + 1))


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    SQLiteEventStore(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO schema_version (version) VALUES (?)", (99,))
    connection.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SQLiteEventStore(path)


def test_the_file_uses_wal_and_the_chosen_synchronous_level(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteEventStore(path) as store:
        connection = store._connection
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    with SQLiteEventStore(path, synchronous="NORMAL") as store:
        assert store._connection.execute("PRAGMA synchronous").fetchone() == (1,)


def test_an_unknown_synchronous_level_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        SQLiteEventStore(tmp_path / "events.db", synchronous="OFF; DROP TABLE x")  # type: ignore[arg-type]
    assert caught.value.field == "synchronous"
    with pytest.raises(ValidationError):
        SQLiteAsyncEventStore(tmp_path / "events.db", synchronous="off")  # type: ignore[arg-type]
    assert not (tmp_path / "events.db").exists()
