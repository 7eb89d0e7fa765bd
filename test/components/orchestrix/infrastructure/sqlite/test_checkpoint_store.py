"""The SQLite checkpoint store passes the exactly-once checkpoint store contract; its lease
lock expires when the holder stops renewing; its tables live beside the event store's."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite import (
    SQLiteCheckpointStore,
    SQLiteEventStore,
    SQLiteLogHead,
    SQLiteProjectionLock,
)
from test.contracts.checkpoint_store import ExactlyOnceCheckpointStoreContract, state_at


class TestSQLiteCheckpointStore(ExactlyOnceCheckpointStoreContract):
    @pytest.fixture
    async def state_store(self, tmp_path: Path) -> AsyncIterator[SQLiteCheckpointStore]:
        path = tmp_path / "read-model.db"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE model (value TEXT NOT NULL)")
        store = SQLiteCheckpointStore(path)
        yield store
        await store.close()

    async def write_model(self, connection: Any, value: str) -> None:
        connection.execute("INSERT INTO model (value) VALUES (?)", (value,))

    async def read_model(self, store: Any) -> list[str]:
        with sqlite3.connect(store.path) as connection:
            return [value for (value,) in connection.execute("SELECT value FROM model")]


async def test_a_lock_file_replaced_while_held_counts_as_lost(tmp_path: Path) -> None:
    holder = SQLiteProjectionLock(tmp_path / "app.db", "p")
    other = SQLiteProjectionLock(tmp_path / "app.db", "p")
    try:
        assert await holder.acquire()
        os.unlink(holder.lock_path)
        assert await other.acquire()  # a new file, locked by another instance
        assert not await holder.renew()
    finally:
        await holder.release()
        await other.release()


async def test_the_tables_share_a_file_with_the_event_store(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with SQLiteEventStore(path) as events:
        events.save("a", [Event(), Event()])
        async with SQLiteCheckpointStore(path) as checkpoints:
            async with checkpoints.transaction() as transaction:
                transaction.connection.execute("CREATE TABLE model (n INTEGER)")
                await transaction.save_state(state_at(2), START)
            assert (await checkpoints.load_state("p")) == state_at(2)
        assert len(events.load("a")) == 2
    with SQLiteEventStore(path) as reopened:
        assert len(list(reopened.read_all())) == 2


async def test_a_closed_store_refuses_calls(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "x.db")
    await store.initialize()
    await store.close()
    await store.close()
    with pytest.raises(StoreError):
        await store.load_state("p")


async def test_the_log_head_counts_without_decoding(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    head = SQLiteLogHead(path)
    with SQLiteEventStore(path) as events:
        assert await head.head() == START
        assert (await head.backlog(START)).lag().events == 0
        first = Event()
        events.save("a", [first, Event(), Event()])
        # A payload the codec cannot decode does not matter to the head.
        events._connection.execute("UPDATE events SET payload = 'not json' WHERE position = 3")
    try:
        assert await head.head() == Checkpoint(0, 3)
        backlog = await head.backlog(Checkpoint(0, 1))
        assert backlog.count == 2
        assert (await head.backlog(START)).oldest == first.timestamp
        assert (await head.backlog(Checkpoint(0, 3))).lag().events == 0
    finally:
        await head.close()
