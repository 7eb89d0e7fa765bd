"""Both in-memory buses against the bus and delivery contracts again, with observability on.

Observed, a bus delivers through handlers wrapped in their `*.handle` spans; everything the
contract asks (order, failures, retries, dead letters, names, cancellation) and topic-pattern
subscriptions must hold the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orchestrix.core.common.instrumentation import is_observed
from orchestrix.core.common.observability import ObservabilityHooks
from test.components.orchestrix.core.common.recorders import (
    RecordingMetrics,
    RecordingTracing,
    observing,
)
from test.components.orchestrix.infrastructure.memory import test_async_bus as async_bus
from test.components.orchestrix.infrastructure.memory import test_bus as sync_bus
from test.components.orchestrix.infrastructure.memory import test_bus_delivery as delivery
from test.components.orchestrix.infrastructure.memory import test_topic_subscriptions as topics
from test.components.orchestrix.infrastructure.memory.bus_contract import (
    BusContract,
    CountingTable,
    OrderPlaced,
    OrderShipped,
)


@pytest.fixture(autouse=True)
def observed() -> Iterator[None]:
    with observing(ObservabilityHooks(RecordingMetrics(), RecordingTracing())):
        assert is_observed()
        yield


class ObservedRoutes(BusContract):
    """Observed, a bus resolves a class's handlers once, until a subscription to that class."""

    async def test_subscribe_and_publish_can_alternate_without_rescanning(self) -> None:
        bus: Any = self.make_bus()
        lookups = CountingTable(bus._handlers)
        bus._handlers = lookups
        bus.subscribe(OrderPlaced, self.native(lambda message: None))
        for _ in range(200):
            bus.subscribe(OrderShipped, self.native(lambda message: None))
            await self.publish(bus, OrderPlaced())
        assert lookups.reads == 200 + 1 + 1  # one per subscribe, one for the first publish
        assert lookups.scans == 0
        assert len(dict.__getitem__(lookups, OrderShipped)) == 200


class TestObservedMessageBus(ObservedRoutes, sync_bus.TestInMemoryMessageBus):
    pass


class TestObservedAsyncMessageBus(ObservedRoutes, async_bus.TestInMemoryAsyncMessageBus):
    pass


class TestObservedMessageBusDelivery(delivery.TestInMemoryMessageBusDelivery):
    pass


class TestObservedAsyncMessageBusDelivery(delivery.TestInMemoryAsyncMessageBusDelivery):
    pass


# The topic-pattern tests, collected here again to run under this module's observation.
test_sync_bus_routes_by_pattern = (
    topics.test_sync_bus_routes_by_pattern_with_the_app_prefix_stripped
)
test_async_bus_routes_by_pattern = topics.test_async_bus_routes_by_pattern
test_a_pattern_reaches_classes_whenever_they_first_appear = (
    topics.test_a_pattern_reaches_classes_whenever_they_first_appear
)
test_a_class_nobody_matches_is_matched_once = topics.test_a_class_nobody_matches_is_matched_once
