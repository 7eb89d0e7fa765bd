"""The in-memory stores keep the first release's observable facts (reference §5.1, §5.2),
except the -1 empty-stream version and negative `from_version` slices (defects #1, #5)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrix.core.common.exceptions import ConcurrencyError
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore


class Noted(Event, type_name="test_store_reference.Noted"):
    pass


async def call(result: Any) -> Any:
    return await result if hasattr(result, "__await__") else result


@pytest.fixture(params=[InMemoryEventStore, InMemoryAsyncEventStore])
def store(request: pytest.FixtureRequest) -> Any:
    return request.param()


async def test_load_returns_the_saved_events_in_a_new_list(store: Any) -> None:
    events = [Noted(), Noted(), Noted()]
    await call(store.save("s", events))
    loaded = await call(store.load("s"))
    assert loaded == events
    assert [type(event) for event in loaded] == [Noted] * 3
    loaded.clear()
    assert await call(store.load("s")) == events


async def test_from_version_skips_that_many_events(store: Any) -> None:
    events = [Noted() for _ in range(5)]
    await call(store.save("s", events))
    assert await call(store.load("s", 2)) == events[2:]
    assert await call(store.load("s", from_version=5)) == []
    assert await call(store.load("s", 50)) == []
    assert await call(store.load("unknown")) == []


async def test_the_version_checked_is_the_number_of_events(store: Any) -> None:
    await call(store.save("s", [Noted()], expected_version=0))
    await call(store.save("s", [Noted(), Noted()], expected_version=1))
    with pytest.raises(ConcurrencyError) as caught:
        await call(store.save("s", [Noted()], expected_version=1))
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 3)
    assert str(caught.value) == (
        "Concurrency conflict for aggregate 's': expected version 1, but current version is 3"
    )


async def test_an_empty_batch_writes_nothing(store: Any) -> None:
    await call(store.save("s", []))
    assert await call(store.load("s")) == []


async def test_the_saved_snapshot_loads_back(store: Any) -> None:
    snapshot = Snapshot("s", "Account", 4, {"balance": 10})
    assert await call(store.load_snapshot("s")) is None
    await call(store.save_snapshot(snapshot))
    assert await call(store.load_snapshot("s")) == snapshot


def test_constructors_take_no_required_argument() -> None:
    InMemoryEventStore()
    InMemoryAsyncEventStore()
