"""Events and commands demo, top to bottom: what a message carries, how one causes the next,
and how the two in-process buses deliver them.

Run it with `python -m orchestrix.events_and_commands_demo`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from dataclasses import dataclass

from orchestrix.core.messaging.message import Event, Message
from orchestrix.events_and_commands_demo.handlers import Barista, Counter, MessageLog, Pickup
from orchestrix.events_and_commands_demo.models import (
    BrewCoffee,
    CoffeeBrewed,
    CoffeeOrdered,
    OrderCoffee,
)
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus

METADATA = ("id", "specversion", "type", "source", "subject", "timestamp", "actor_id")


@dataclass(frozen=True)
class Outcome:
    """What the demo saw: every message of the chain, and the async handlers' steps."""

    chain: list[Message]
    base_class_seen: list[Message]
    pickup_steps: list[str]


def run() -> Outcome:
    """Play the demo; returns what it saw."""
    # 1. A message is a frozen dataclass: domain fields plus CloudEvents attributes.
    order = OrderCoffee(
        order_id="O-1", drink="flat white", source="coffee-bar", subject="O-1", actor_id="ada"
    )
    print("Events and commands demo: messages, their metadata, causation, the two buses.\n")
    print("A command, with the CloudEvents attributes every message carries:")
    print(f"  {type(order).__name__}(order_id={order.order_id!r}, drink={order.drink!r})")
    for name in METADATA:
        print(f"  {name:<12} {getattr(order, name)}")
    try:
        order.drink = "espresso"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError as error:
        print(f"  and it never changes: {type(error).__name__}: {error}")

    # 2. On the sync bus, each handler answers with a message `caused_by` the one it got. A bus
    # delivers a message to the handlers of its exact class, in subscription order: the log is
    # subscribed to each class, first, and a handler of the base class `Event` gets nothing.
    bus = InMemoryMessageBus()
    log, base_class_log = MessageLog(), MessageLog()
    for message_type in (OrderCoffee, CoffeeOrdered, BrewCoffee, CoffeeBrewed):
        bus.subscribe(message_type, log.record)
    bus.subscribe(Event, base_class_log.record)
    counter, barista = Counter(bus), Barista(bus)
    bus.subscribe(OrderCoffee, counter.take_order)
    bus.subscribe(CoffeeOrdered, barista.on_ordered)
    bus.subscribe(BrewCoffee, barista.brew)
    bus.publish(order)

    print("\nOne command published; the handlers answered, each message caused by the last:")
    print(f"  {'#':<2} {'type':<14} {'id':<9} {'correlation':<12} {'causation':<10} actor")
    for number, message in enumerate(log.messages, start=1):
        print(
            f"  {number:<2} {message.type:<14} {_short(message.id):<9} "
            f"{_short(message.correlation_id):<12} {_short(message.causation_id):<10} "
            f"{message.actor_id}"
        )
    print("The correlation id is the first message's, the causation id the previous one's.")
    print(f"The log, subscribed to each of the four classes, saw {len(log.messages)} messages.")
    print(
        f"A handler subscribed to the base class Event saw {len(base_class_log.messages)}: "
        "a bus delivers by exact class."
    )

    # 3. The async bus runs the handlers of one message concurrently.
    pickup = Pickup()
    asyncio.run(_ready_for_pickup(pickup, log.messages[-1]))
    print("\nOn the async bus, the two handlers of CoffeeBrewed run concurrently:")
    for step in pickup.steps:
        print(f"  {step}")
    return Outcome(list(log.messages), list(base_class_log.messages), list(pickup.steps))


async def _ready_for_pickup(pickup: Pickup, brewed: Message) -> None:
    bus = InMemoryAsyncMessageBus()
    bus.subscribe(CoffeeBrewed, pickup.call_customer)
    bus.subscribe(CoffeeBrewed, pickup.update_board)
    await bus.publish(brewed)


def _short(identifier: str | None) -> str:
    """The first 8 characters of a uuid: enough to tell the messages of one run apart."""
    return "-" if identifier is None else identifier[:8]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    run()


if __name__ == "__main__":
    main()
