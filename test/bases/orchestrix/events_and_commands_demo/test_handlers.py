"""The coffee bar's handlers: one command, three messages caused by it, in a chain."""

from __future__ import annotations

from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.events_and_commands_demo.handlers import Barista, Counter
from orchestrix.events_and_commands_demo.models import (
    BrewCoffee,
    CoffeeBrewed,
    CoffeeOrdered,
    OrderCoffee,
)
from orchestrix.testing import HandlerScenario


def coffee_bar(bus: MessageBus, store: EventStore) -> None:
    counter, barista = Counter(bus), Barista(bus)
    bus.subscribe(OrderCoffee, counter.take_order)
    bus.subscribe(CoffeeOrdered, barista.on_ordered)
    bus.subscribe(BrewCoffee, barista.brew)


ORDER = OrderCoffee(order_id="O-1", drink="tea", actor_id="ada")


def test_an_order_is_answered_by_a_chain_of_messages() -> None:
    published = (
        HandlerScenario(coffee_bar)
        .when(ORDER)
        .then_published(
            CoffeeOrdered(order_id="O-1", drink="tea"),
            BrewCoffee(order_id="O-1", drink="tea"),
            CoffeeBrewed(order_id="O-1", drink="tea"),
        )
    )
    causes = [ORDER.id, *(message.id for message in published[:-1])]
    assert [message.causation_id for message in published] == causes


def test_the_whole_chain_shares_the_orders_correlation_and_actor() -> None:
    """Compare the correlation and actor too: only ids, times and causation are left out."""
    chain = {"correlation_id": ORDER.id, "actor_id": "ada"}
    HandlerScenario(coffee_bar, ignoring=("id", "timestamp", "causation_id")).when(
        ORDER
    ).then_published(
        CoffeeOrdered(order_id="O-1", drink="tea", **chain),
        BrewCoffee(order_id="O-1", drink="tea", **chain),
        CoffeeBrewed(order_id="O-1", drink="tea", **chain),
    )


def test_nothing_is_stored_messages_are_only_published() -> None:
    HandlerScenario(coffee_bar).when(ORDER).then()
