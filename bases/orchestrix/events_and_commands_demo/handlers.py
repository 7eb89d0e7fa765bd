"""Who reacts to what: each handler answers a message with the next one, `caused_by` it."""

from __future__ import annotations

import asyncio

from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.events_and_commands_demo.models import (
    BrewCoffee,
    CoffeeBrewed,
    CoffeeOrdered,
    OrderCoffee,
)


class Counter:
    """Takes orders: the command `OrderCoffee` becomes the fact `CoffeeOrdered`."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus

    def take_order(self, command: OrderCoffee) -> None:
        self.bus.publish(
            CoffeeOrdered.caused_by(command, order_id=command.order_id, drink=command.drink)
        )


class Barista:
    """Reacts to each order with a command to brew, then brews: `BrewCoffee` → `CoffeeBrewed`."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus

    def on_ordered(self, event: CoffeeOrdered) -> None:
        self.bus.publish(BrewCoffee.caused_by(event, order_id=event.order_id, drink=event.drink))

    def brew(self, command: BrewCoffee) -> None:
        self.bus.publish(
            CoffeeBrewed.caused_by(command, order_id=command.order_id, drink=command.drink)
        )


class MessageLog:
    """Records the messages it is given: subscribed to each class before the handlers that
    answer them, it sees a whole chain in publishing order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def record(self, message: Message) -> None:
        self.messages.append(message)


class Pickup:
    """Two things to do when a coffee is ready, each waiting on the outside world once."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    async def call_customer(self, event: CoffeeBrewed) -> None:
        self.steps.append(f"call customer for {event.order_id}: start")
        await asyncio.sleep(0)  # a network call, say
        self.steps.append(f"call customer for {event.order_id}: done")

    async def update_board(self, event: CoffeeBrewed) -> None:
        self.steps.append(f"update the board for {event.order_id}: start")
        await asyncio.sleep(0)
        self.steps.append(f"update the board for {event.order_id}: done")
