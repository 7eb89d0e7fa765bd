"""The SQLite saga state store passes the saga state store contract, in a file and in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.execution.saga_state import SagaStatus
from orchestrix.infrastructure.sqlite import SQLiteEventStore
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore
from test.contracts.state_stores import SagaStateStoreContract, saga_state


class TestSQLiteSagaStateStore(SagaStateStoreContract):
    @pytest.fixture
    async def state_store(self, tmp_path: Path) -> AsyncIterator[SQLiteSagaStateStore]:
        store = SQLiteSagaStateStore(tmp_path / "sagas.db", synchronous="NORMAL")
        await store.initialize()
        yield store
        await store.close()


async def test_states_survive_reopening_the_file_beside_the_event_store(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    SQLiteEventStore(path).close()  # the event tables and the saga tables share the file
    first = SQLiteSagaStateStore(path)
    await first.save_state(saga_state(), expected_version=0)
    await first.close()
    second = SQLiteSagaStateStore(path)
    assert await second.load_state("saga-1") == saga_state()
    assert [s.saga_id for s in await second.list_by_status(SagaStatus.IN_PROGRESS)] == ["saga-1"]
    await second.close()
    with SQLiteEventStore(path) as events:  # and the event store still opens it
        assert events.load("anything") == []


async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SQLiteSagaStateStore(tmp_path / "s.db")
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.load_state("x")


async def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "future.db"
    store = SQLiteSagaStateStore(path)
    await store.initialize()
    await store.close()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO feature_schema_versions (feature, version) VALUES ('sagas', 99)"
        )
    connection.close()
    newer = SQLiteSagaStateStore(path)
    with pytest.raises(StoreError, match="version 99"):
        await newer.initialize()
    await newer.close()
