"""The `*_async` helpers work with either kind of bus or store from a coroutine."""

from __future__ import annotations

import pytest

from orchestrix.core.common.exceptions import ConcurrencyError, HandlerError
from orchestrix.core.messaging.message import Event, Message
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
