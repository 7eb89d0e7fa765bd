"""`memory.utils`: the `*_async` helpers for either kind of bus or store, and the first
release's compatibility classes."""

from __future__ import annotations

import pytest

from orchestrix.core.common.exceptions import ConcurrencyError, HandlerError
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging.message import Event, Message
from orchestrix.infrastructure import memory
from orchestrix.infrastructure.memory import utils
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.memory.utils import load_async, publish_async, save_async


class ReportReady(Event, type_name="test_utils.ReportReady"):
    pass


async def test_publish_async_calls_a_sync_bus() -> None:
    bus = InMemoryMessageBus()
    received: list[Message] = []
    bus.subscribe(ReportReady, received.append)
    message = ReportReady()
    await publish_async(bus, message)
    assert received == [message]


async def test_publish_async_awaits_an_async_bus() -> None:
    bus = InMemoryAsyncMessageBus()
    received: list[Message] = []

    async def handler(message: Message) -> None:
        received.append(message)

    bus.subscribe(ReportReady, handler)
    message = ReportReady()
    await publish_async(bus, message)
    assert received == [message]


@pytest.mark.parametrize("bus_type", [InMemoryMessageBus, InMemoryAsyncMessageBus])
async def test_publish_async_lets_handler_errors_through(
    bus_type: type[InMemoryMessageBus] | type[InMemoryAsyncMessageBus],
) -> None:
    bus = bus_type()

    def broken(message: Message) -> None:
        raise RuntimeError("broken")

    bus.subscribe(ReportReady, broken)
    with pytest.raises(HandlerError):
        await publish_async(bus, ReportReady())


@pytest.mark.parametrize("store_type", [InMemoryEventStore, InMemoryAsyncEventStore])
async def test_save_async_and_load_async_work_with_either_store(
    store_type: type[InMemoryEventStore] | type[InMemoryAsyncEventStore],
) -> None:
    store = store_type()
    first, second = ReportReady(), ReportReady()
    await save_async(store, "report", [first], expected_version=0)
    await save_async(store, "report", [second])
    assert await load_async(store, "report") == [first, second]
    assert await load_async(store, "report", from_version=1) == [second]
    with pytest.raises(ConcurrencyError):
        await save_async(store, "report", [ReportReady()], expected_version=0)


# The first release's compatibility classes (reference §5.5)


def test_utils_exports_the_compatibility_classes_and_the_helpers() -> None:
    assert {"InMemoryEventStore", "InMemoryMessageBus"} <= set(utils.__all__)
    assert {"publish_async", "save_async", "load_async"} <= set(utils.__all__)


def test_compatibility_classes_are_the_async_ones_under_old_names() -> None:
    assert isinstance(utils.InMemoryEventStore(), InMemoryAsyncEventStore)
    assert isinstance(utils.InMemoryMessageBus(), InMemoryAsyncMessageBus)
    assert utils.InMemoryMessageBus is not memory.InMemoryMessageBus
    assert utils.InMemoryEventStore is not memory.InMemoryEventStore
    assert memory.InMemoryMessageBus is InMemoryMessageBus
    assert memory.InMemoryEventStore is InMemoryEventStore


async def test_compatibility_store_answers_the_async_names() -> None:
    store = utils.InMemoryEventStore()
    first, second = ReportReady(), ReportReady()
    await store.save_async("report", [first], expected_version=0)
    await store.save("report", [second], 1)
    assert await store.load_async("report") == [first, second]
    assert await store.load_async("report", from_version=1) == [second]
    assert await store.load("report", 1) == [second]
    snapshot = Snapshot("report", "Report", 2, {"pages": 3})
    await store.save_snapshot_async(snapshot)
    assert await store.load_snapshot_async("report") == snapshot
    assert await store.load_snapshot("report") == snapshot


async def test_compatibility_bus_publishes_async() -> None:
    bus = utils.InMemoryMessageBus()
    received: list[Message] = []

    async def handler(message: Message) -> None:
        received.append(message)

    bus.subscribe(ReportReady, handler)
    message = ReportReady()
    await bus.publish_async(message)
    await bus.publish(message)
    assert received == [message, message]
