"""The delivery rule every message bus shares, in memory or across a broker.

A class subscription receives messages of that exact class (the first release's rule): not its
subclasses, and a subscription to `Event` receives bare `Event`s only. A topic pattern is the
way to subscribe broadly: it receives every event whose class's topic matches, whatever the
class hierarchy (`#` receives every event).

Subclass `BusDeliveryContract` and provide `bus`, a fixture returning a fresh bus;
`subscribe` (a broker names each handler's queue), `start` (after the subscriptions) and
`publish` have defaults for the in-process buses. Each handler's last expected message is
published after every message it must not receive, so once it has arrived on a broker,
anything wrongly routed to the same queue has arrived before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrix.core.messaging.message import Event, Message


@dataclass(frozen=True, kw_only=True)
class ParcelShipped(Event, type_name="bus_delivery.ParcelShipped"):
    parcel: str


@dataclass(frozen=True, kw_only=True)
class ExpressParcelShipped(ParcelShipped, type_name="bus_delivery.ExpressParcelShipped"):
    pass


@dataclass(frozen=True, kw_only=True)
class ParcelLost(Event, type_name="bus_delivery.ParcelLost"):
    parcel: str


type Received = dict[str, list[str]]


def ids(expected: dict[str, list[Message]]) -> Received:
    return {name: sorted(message.id for message in messages) for name, messages in expected.items()}


class BusDeliveryContract:
    @pytest.fixture
    def bus(self) -> Any:
        raise NotImplementedError("subclasses provide a bus fixture")

    def subscribe(
        self, bus: Any, target: type[Message] | str, handler: Callable[[Any], None], name: str
    ) -> None:
        bus.subscribe(target, handler)

    async def start(self, bus: Any) -> None:
        """Make the subscriptions take effect (a broker declares and consumes the queues)."""

    async def publish(self, bus: Any, message: Message) -> None:
        result = bus.publish(message)
        if result is not None:
            await result

    async def deliver(
        self,
        bus: Any,
        subscriptions: dict[str, type[Message] | str],
        messages: list[Message],
        expected: dict[str, list[Message]],
    ) -> Received:
        """Subscribe a recorder per name, publish `messages` in order, and return what each
        received once each has at least as many messages as `expected` names for it."""
        received: Received = {name: [] for name in subscriptions}
        record = lambda seen: lambda message: seen.append(message.id)  # noqa: E731
        for name, target in subscriptions.items():
            self.subscribe(bus, target, record(received[name]), name)
        await self.start(bus)
        for message in messages:
            await self.publish(bus, message)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while any(len(received[name]) < len(expected[name]) for name in expected):
            assert loop.time() < deadline, f"timed out: {received}"
            await asyncio.sleep(0.02)
        return {name: sorted(seen) for name, seen in received.items()}

    async def test_a_class_subscription_receives_that_exact_class_only(self, bus: Any) -> None:
        shipped = [ParcelShipped(parcel=f"S{n}") for n in range(2)]
        express = [ExpressParcelShipped(parcel=f"E{n}") for n in range(2)]
        bare = [Event() for _ in range(2)]
        lost = ParcelLost(parcel="L")
        expected: dict[str, list[Message]] = {
            "shipped": shipped,
            "express": express,
            "bare_event": bare,
        }
        received = await self.deliver(
            bus,
            {"shipped": ParcelShipped, "express": ExpressParcelShipped, "bare_event": Event},
            [express[0], shipped[0], bare[0], lost, shipped[1], express[1], bare[1]],
            expected,
        )
        assert received == ids(expected)

    async def test_a_topic_pattern_receives_every_event_whose_topic_matches(self, bus: Any) -> None:
        shipped = ParcelShipped(parcel="S")
        express = ExpressParcelShipped(parcel="E")
        lost = ParcelLost(parcel="L")
        bare = Event()
        last = ParcelShipped(parcel="last")
        expected: dict[str, list[Message]] = {
            "everything": [shipped, express, lost, bare, last],
            "shipped_topic": [shipped, last],  # the subclass has a topic of its own
            "parcels": [shipped, express, lost, last],
        }
        received = await self.deliver(
            bus,
            {
                "everything": "#",
                "shipped_topic": "#.parcel_shipped",
                "parcels": "#.bus_delivery.*",
            },
            [shipped, express, lost, bare, last],
            expected,
        )
        assert received == ids(expected)
