"""A projection runner over the SQLite stores, sync and async, with checkpoints and the lag
figure in the same SQLite file, passes the subscription contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
from test.contracts.subscription import SubscriptionContract


class SQLiteSubscription(SubscriptionContract):
    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "events.db"

    @pytest.fixture
    async def checkpoints(self, path: Path) -> AsyncIterator[SQLiteCheckpointStore]:
        store = SQLiteCheckpointStore(path, synchronous="NORMAL")
        yield store
        await store.close()

    @pytest.fixture
    def head(self, path: Path) -> Iterator[SQLiteLogHead]:
        head = SQLiteLogHead(path)
        yield head
        head.close()


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
