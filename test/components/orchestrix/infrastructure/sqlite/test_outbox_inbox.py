"""The SQLite outbox (filled by a trigger on the store's inserts) and inbox pass the contracts."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite import SQLiteAsyncEventStore, SQLiteEventStore
from orchestrix.infrastructure.sqlite.inbox import SQLiteInbox
from orchestrix.infrastructure.sqlite.outbox import SQLiteOutbox
from test.contracts.inbox import EffectsUnderTest, TransactionalInboxContract
from test.contracts.outbox import (
    LeasedOutboxContract,
    OutboxContract,
    OutboxUnderTest,
    added,
)


class TestSQLiteOutbox(LeasedOutboxContract):
    @pytest.fixture
    async def backend(self, tmp_path: Path) -> AsyncIterator[OutboxUnderTest]:
        path = tmp_path / "events.db"
        outbox = SQLiteOutbox(path)
        await outbox.initialize()
        store = SQLiteAsyncEventStore(path)
        yield OutboxUnderTest(outbox, store.save)
        await store.close()
        await outbox.close()

    @pytest.fixture
    async def short_lease(self, tmp_path: Path) -> AsyncIterator[Callable[[float], Any]]:
        opened: list[SQLiteOutbox] = []

        async def open_outbox(seconds: float) -> SQLiteOutbox:
            opened.append(SQLiteOutbox(tmp_path / "events.db", lease=seconds))
            return opened[-1]

        yield open_outbox
        for outbox in opened:
            await outbox.close()


class TestSQLiteOutboxWithTheSyncStore(OutboxContract):
    @pytest.fixture
    async def backend(self, tmp_path: Path) -> AsyncIterator[OutboxUnderTest]:
        path = tmp_path / "events.db"
        async with SQLiteOutbox(path) as outbox:
            store = SQLiteEventStore(path)

            async def save(stream: str, events: Sequence[Event], expected: int | None) -> None:
                store.save(stream, events, expected)

            yield OutboxUnderTest(outbox, save)
            store.close()


async def test_events_saved_before_the_outbox_existed_are_not_in_it(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteEventStore(path) as store:
        store.save("A", added("before"))
        async with SQLiteOutbox(path) as outbox:
            store.save("A", added("after"))
            async with outbox.claim(10) as batch:
                assert [entry.version for entry in batch.entries] == [2]


def test_bad_lease_is_refused(tmp_path: Path) -> None:
    for bad in (0, -1, "1", True):
        with pytest.raises(ValidationError):
            SQLiteOutbox(tmp_path / "x.db", lease=bad)  # type: ignore[arg-type]


class TestSQLiteInbox(TransactionalInboxContract):
    @pytest.fixture
    async def inbox(self, tmp_path: Path) -> AsyncIterator[SQLiteInbox]:
        async with SQLiteInbox(tmp_path / "read-model.db") as inbox:
            yield inbox

    @pytest.fixture
    def effects(self, inbox: SQLiteInbox, tmp_path: Path) -> EffectsUnderTest:

        async def write(connection: sqlite3.Connection, value: str) -> None:
            connection.execute("CREATE TABLE IF NOT EXISTS effects (value TEXT)")
            connection.execute("INSERT INTO effects VALUES (?)", (value,))

        async def read() -> list[str]:
            with sqlite3.connect(tmp_path / "read-model.db") as reader:
                try:
                    found = reader.execute("SELECT value FROM effects").fetchall()
                except sqlite3.OperationalError:  # the table's creation was rolled back
                    return []
            return [value for (value,) in found]

        return EffectsUnderTest(write, read)


async def test_the_inbox_can_share_the_event_store_file(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with SQLiteInbox(path) as inbox, SQLiteAsyncEventStore(path) as store:
        await store.save("A", added("1"))
        async with inbox.receive("c", "m") as receipt:
            assert not receipt.duplicate
        assert [event.item for event in await store.load("A")] == ["1"]  # type: ignore[attr-defined]


async def test_a_receipt_cancelled_while_it_begins_leaves_the_inbox_usable(
    tmp_path: Path,
) -> None:
    async with SQLiteInbox(tmp_path / "read-model.db") as inbox:
        for _ in range(20):
            receiving = asyncio.create_task(_receive_once(inbox, "m-cancelled"))
            await asyncio.sleep(0)
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiving
        async with inbox.receive("c", "m-after") as receipt:
            assert not receipt.duplicate
        assert await inbox.handled("c", "m-after")


async def _receive_once(inbox: SQLiteInbox, message_id: str) -> None:
    async with inbox.receive("c", message_id):
        await asyncio.sleep(0)
