"""Both in-memory buses against the delivery contract they share with the RabbitMQ bus."""

from __future__ import annotations

import pytest

from orchestrix.infrastructure.memory import InMemoryAsyncMessageBus, InMemoryMessageBus
from test.contracts.bus_delivery import BusDeliveryContract


class TestInMemoryMessageBusDelivery(BusDeliveryContract):
    @pytest.fixture
    def bus(self) -> InMemoryMessageBus:
        return InMemoryMessageBus()


class TestInMemoryAsyncMessageBusDelivery(BusDeliveryContract):
    @pytest.fixture
    def bus(self) -> InMemoryAsyncMessageBus:
        return InMemoryAsyncMessageBus()
