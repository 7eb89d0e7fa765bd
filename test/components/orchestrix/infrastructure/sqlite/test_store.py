"""The SQLite stores pass the event store contract, and keep what they saved across instances."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.infrastructure.sqlite import SQLiteAsyncEventStore, SQLiteEventStore
from test.contracts.event_store import (
    AsyncStoreUnderTest,
    ContractRenamed,
    ContractRenamedV1,
    EventStoreContract,
    SplitName,
    StoreFactory,
    StoreUnderTest,
    SyncStoreUnderTest,
    added,
    everything_event,
)
from test.contracts.event_store_fidelity import EventStoreFidelityContract


class TestSQLiteEventStore(EventStoreContract, EventStoreFidelityContract):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[StoreFactory]:
        opened: list[SQLiteEventStore] = []
        numbers = itertools.count()

        async def open_store(**options: Any) -> StoreUnderTest:
            store = SQLiteEventStore(tmp_path / f"events-{next(numbers)}.db", **options)
            opened.append(store)
            return SyncStoreUnderTest(store)

        yield open_store
        for store in opened:
            store.close()


class TestSQLiteEventStoreInMemory(EventStoreContract, EventStoreFidelityContract):
    @pytest.fixture
    def store_factory(self) -> Iterator[StoreFactory]:
        opened: list[SQLiteEventStore] = []

        async def open_store(**options: Any) -> StoreUnderTest:
            store = SQLiteEventStore(":memory:", **options)
            opened.append(store)
            return SyncStoreUnderTest(store)

        yield open_store
        for store in opened:
            store.close()


class TestSQLiteAsyncEventStore(EventStoreContract, EventStoreFidelityContract):
    @pytest.fixture
    async def store_factory(self, tmp_path: Path) -> AsyncIterator[StoreFactory]:
        opened: list[SQLiteAsyncEventStore] = []
        numbers = itertools.count()

        async def open_store(**options: Any) -> StoreUnderTest:
            store = SQLiteAsyncEventStore(tmp_path / f"events-{next(numbers)}.db", **options)
            opened.append(store)
            return AsyncStoreUnderTest(store)

        yield open_store
        for store in opened:
            await store.close()


def test_a_reopened_store_loads_what_an_earlier_instance_saved(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    events = [everything_event(), added("b")]
    snapshot = Snapshot("s", "Thing", 2, {"k": [1, "2"]})
    with SQLiteEventStore(path) as first:
        first.save("s", events, expected_version=0)
        first.save_snapshot(snapshot)
    with SQLiteEventStore(path) as second:
        assert second.load("s") == events
        assert second.load_snapshot("s") == snapshot
        assert [r.position for r in second.read_all()] == [1, 2]
        second.save("s", [added("c")], expected_version=2)


async def test_sync_and_async_stores_share_the_file_format(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    event = everything_event()
    async with SQLiteAsyncEventStore(path) as writer:
        await writer.save("s", [event])
    with SQLiteEventStore(path) as reader:
        assert reader.load("s") == [event]
        reader.save("s", [added()], expected_version=1)
    async with SQLiteAsyncEventStore(path) as reader_again:
        assert len(await reader_again.load("s")) == 2


def upcasting_registry() -> UpcasterRegistry:
    registry = UpcasterRegistry()
    registry.register("ContractRenamed", SplitName())
    return registry


async def test_read_all_upcasts_old_events_too(tmp_path: Path) -> None:
    old = ContractRenamedV1(name="Ada Lovelace")
    path = tmp_path / "events.db"
    with SQLiteEventStore(path, upcasters=upcasting_registry()) as store:
        store.save("person", [old, added()])
        first, second = store.read_all(batch_size=1)
    assert isinstance(first.event, ContractRenamed)
    assert (first.event.first_name, first.event.id, first.position) == ("Ada", old.id, 1)
    assert second.position == 2
    async with SQLiteAsyncEventStore(path, upcasters=upcasting_registry()) as async_store:
        recorded = [r async for r in async_store.read_all()]
    assert [r.event for r in recorded] == [first.event, second.event]


def test_a_closed_store_raises_store_error(tmp_path: Path) -> None:
    store = SQLiteEventStore(tmp_path / "events.db")
    store.close()
    store.close()
    with pytest.raises(StoreError) as caught:
        store.load("s")
    assert caught.value.__cause__ is not None
    with pytest.raises(StoreError):
        store.save("s", [added()])


async def test_a_closed_async_store_raises_store_error(tmp_path: Path) -> None:
    store = SQLiteAsyncEventStore(tmp_path / "events.db")
    await store.save("s", [added()])
    await store.close()
    await store.close()
    with pytest.raises(StoreError):
        await store.load("s")
    never_opened = SQLiteAsyncEventStore(tmp_path / "other.db")
    await never_opened.close()
    assert not (tmp_path / "other.db").exists()


async def test_calls_made_before_close_still_run(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = SQLiteAsyncEventStore(path)
    event = added()
    saving = asyncio.create_task(store.save("s", [event]))
    await asyncio.sleep(0)  # the save is queued in the worker thread before close
    await store.close()
    await saving
    with SQLiteEventStore(path) as reader:
        assert reader.load("s") == [event]


async def test_the_async_store_opens_lazily_in_its_worker_thread(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = SQLiteAsyncEventStore(path)
    assert not path.exists()
    try:
        await store.initialize()
        assert path.exists()
    finally:
        await store.close()
