"""`publish_async` publishes on either kind of bus from a coroutine."""

from __future__ import annotations

import pytest

from orchestrix.core.common.exceptions import HandlerError
from orchestrix.core.messaging.message import Event, Message
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.utils import publish_async


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
