"""`schema_version` tells how far a file is migrated without writing to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchestrix.infrastructure.sqlite import SQLiteEventStore
from orchestrix.infrastructure.sqlite.schema import MIGRATIONS, schema_version


def test_a_new_database_is_at_version_zero_and_stays_untouched(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "new.sqlite3")
    assert schema_version(connection) == 0
    assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    connection.close()


def test_an_opened_store_is_at_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    SQLiteEventStore(path).close()
    connection = sqlite3.connect(path)
    assert schema_version(connection) == len(MIGRATIONS)
    connection.close()
