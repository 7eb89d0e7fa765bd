"""A projection runner over the SQLite stores, sync and async, with checkpoints and the lag
figure in the same SQLite file, passes the subscription contract."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from orchestrix.infrastructure.sqlite import (
    SQLiteAsyncEventStore,
    SQLiteCheckpointStore,
    SQLiteEventStore,
    SQLiteLogHead,
)
from test.contracts.event_store import (
    AsyncStoreUnderTest,
    StoreFactory,
    StoreUnderTest,
    SyncStoreUnderTest,
)
from test.contracts.subscription import ExactlyOnceSubscriptionContract


class SQLiteSubscription(ExactlyOnceSubscriptionContract):
    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "events.db"

    @pytest.fixture
    async def checkpoints(self, path: Path) -> AsyncIterator[SQLiteCheckpointStore]:
        store = SQLiteCheckpointStore(path, synchronous="NORMAL")
        yield store
        await store.close()

    @pytest.fixture
    async def model(self, checkpoints: SQLiteCheckpointStore) -> None:
        async with checkpoints.transaction() as transaction:
            transaction.connection.execute("CREATE TABLE model (value TEXT NOT NULL)")

    async def write_model(self, connection: Any, value: str) -> None:
        connection.execute("INSERT INTO model (value) VALUES (?)", (value,))

    async def clear_model(self, connection: Any) -> None:
        connection.execute("DELETE FROM model")

    async def read_model(self, checkpoints: Any) -> list[str]:
        with sqlite3.connect(checkpoints.path) as connection:
            rows = connection.execute("SELECT value FROM model ORDER BY rowid")
            return [value for (value,) in rows]

    @pytest.fixture
    async def head(self, path: Path) -> AsyncIterator[SQLiteLogHead]:
        async with SQLiteLogHead(path) as head:
            yield head


class TestSubscriptionOverSQLiteEventStore(SQLiteSubscription):
    @pytest.fixture
    def store_factory(self, path: Path) -> StoreFactory:
        async def open_store(**options: Any) -> StoreUnderTest:
            return SyncStoreUnderTest(SQLiteEventStore(path, synchronous="NORMAL", **options))

        return open_store


class TestSubscriptionOverSQLiteAsyncEventStore(SQLiteSubscription):
    @pytest.fixture
    def store_factory(self, path: Path) -> StoreFactory:
        async def open_store(**options: Any) -> StoreUnderTest:
            return AsyncStoreUnderTest(SQLiteAsyncEventStore(path, synchronous="NORMAL", **options))

        return open_store
