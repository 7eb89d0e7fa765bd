"""The bus and command-handler protocols have the first release's members (reference §1.2,
§1.3): none is runtime-checkable, and no bus has an unsubscribe method."""

from __future__ import annotations

import inspect

import pytest

from orchestrix.core.messaging.command_handler import CommandHandler
from orchestrix.core.messaging.message_bus import AsyncMessageBus, MessageBus
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus


@pytest.mark.parametrize("protocol", [MessageBus, AsyncMessageBus, CommandHandler])
def test_protocols_are_not_runtime_checkable(protocol: type) -> None:
    with pytest.raises(TypeError):
        isinstance(object(), protocol)


def test_command_handler_has_the_three_members_of_the_seed() -> None:
    assert list(inspect.signature(CommandHandler.__init__).parameters) == ["self", "bus", "store"]
    assert list(inspect.signature(CommandHandler.handle).parameters) == ["self", "command"]
    assert list(inspect.signature(CommandHandler._persist_and_publish).parameters) == [
        "self",
        "aggregate_id",
        "events",
    ]


def test_bus_protocols_publish_and_subscribe_only() -> None:
    assert inspect.iscoroutinefunction(AsyncMessageBus.publish)
    assert not inspect.iscoroutinefunction(AsyncMessageBus.subscribe)
    assert not inspect.iscoroutinefunction(MessageBus.publish)
    for bus in (MessageBus, AsyncMessageBus, InMemoryMessageBus, InMemoryAsyncMessageBus):
        assert not hasattr(bus, "unsubscribe")


@pytest.mark.parametrize("bus_type", [InMemoryMessageBus, InMemoryAsyncMessageBus])
def test_in_memory_buses_take_no_required_arguments(bus_type: type) -> None:
    bus = bus_type()
    assert dict(bus._handlers) == {}
