"""The in-memory buses accept topic-pattern subscriptions, matched like a broker's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.memory import InMemoryAsyncMessageBus, InMemoryMessageBus

PREFIX = __name__.rsplit(".", 1)[0]


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event, type_name="memtopics.OrderPlaced"):
    pass


@dataclass(frozen=True, kw_only=True)
class OrderShipped(Event, type_name="memtopics.OrderShipped"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command, type_name="memtopics.PlaceOrder"):
    pass


def test_sync_bus_routes_by_pattern_with_the_app_prefix_stripped() -> None:
    bus = InMemoryMessageBus(topic_naming=TopicNaming(app_prefix=PREFIX))
    seen: list[tuple[str, str]] = []
    bus.subscribe("test_topic_subscriptions.order", lambda m: seen.append(("none", m.type)))
    bus.subscribe("test_topic_subscriptions.*", lambda m: seen.append(("star", m.type)))
    bus.subscribe("#.order_placed", lambda m: seen.append(("placed", m.type)))
    bus.subscribe(OrderShipped, lambda m: seen.append(("class", m.type)))
    for message in (OrderPlaced(), OrderShipped(), PlaceOrder()):
        bus.publish(message)
    assert seen == [
        ("star", "memtopics.OrderPlaced"),
        ("placed", "memtopics.OrderPlaced"),
        ("star", "memtopics.OrderShipped"),
        ("class", "memtopics.OrderShipped"),
        ("star", "memtopics.PlaceOrder"),
    ]


async def test_async_bus_routes_by_pattern() -> None:
    bus = InMemoryAsyncMessageBus()
    seen: list[Message] = []

    async def handler(message: Message) -> None:
        seen.append(message)

    bus.subscribe(f"{PREFIX}.#.order_shipped", handler)
    placed, shipped = OrderPlaced(), OrderShipped()
    await bus.publish(placed)
    await bus.publish(shipped)
    assert seen == [shipped]


@pytest.mark.parametrize("bus_type", [InMemoryMessageBus, InMemoryAsyncMessageBus])
def test_a_bad_pattern_is_refused_at_subscription(bus_type: type) -> None:
    for bad in ("orders..#", "OrderPlaced"):
        with pytest.raises(TypeError, match="topic pattern") as raised:
            bus_type().subscribe(bad, lambda message: None)
        assert isinstance(raised.value.__cause__, ValidationError)


async def publish(bus: Any, message: Message) -> None:
    """Publish on a sync or an async bus."""
    result = bus.publish(message)
    if result is not None:
        await result


@pytest.mark.parametrize("bus_type", [InMemoryMessageBus, InMemoryAsyncMessageBus])
async def test_a_pattern_reaches_classes_whenever_they_first_appear(bus_type: type) -> None:
    # A class published before the pattern, one subscribed before it, and one first seen after.
    bus = bus_type(topic_naming=TopicNaming(app_prefix=PREFIX))
    seen: list[tuple[str, str]] = []

    def recorder(name: str) -> Any:
        return lambda message: seen.append((name, message.type))

    await publish(bus, OrderPlaced())  # nobody listens yet
    bus.subscribe(OrderShipped, recorder("shipped"))
    bus.subscribe("test_topic_subscriptions.#", recorder("pattern"))
    bus.subscribe(OrderShipped, recorder("shipped later"))
    for message in (OrderPlaced(), OrderShipped(), PlaceOrder(), OrderPlaced()):
        await publish(bus, message)
    assert seen == [
        ("pattern", "memtopics.OrderPlaced"),
        ("shipped", "memtopics.OrderShipped"),
        ("pattern", "memtopics.OrderShipped"),
        ("shipped later", "memtopics.OrderShipped"),
        ("pattern", "memtopics.PlaceOrder"),
        ("pattern", "memtopics.OrderPlaced"),
    ]
    assert bus._handlers[PlaceOrder] == [bus._handlers[OrderPlaced][0]]  # one list per class


@pytest.mark.parametrize("bus_type", [InMemoryMessageBus, InMemoryAsyncMessageBus])
async def test_a_class_nobody_matches_is_matched_once(bus_type: type) -> None:
    asked: list[type] = []

    class CountingNaming(TopicNaming):
        def topic(self, cls: type) -> str:
            asked.append(cls)
            return super().topic(cls)

    bus = bus_type(topic_naming=CountingNaming())
    bus.subscribe("billing.#", lambda message: None)
    for _ in range(3):
        await publish(bus, OrderPlaced())
    assert asked == [OrderPlaced]
