"""The RabbitMQ bus against the delivery contract it shares with the in-memory buses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestrix.core.messaging.message import Message
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.contracts.bus_delivery import BusDeliveryContract

pytestmark = pytest.mark.rabbitmq


class TestRabbitMQMessageBusDelivery(BusDeliveryContract):
    @pytest.fixture
    async def bus(self, open_bus: BusOpener) -> RabbitMQMessageBus:
        return await open_bus()

    def subscribe(
        self, bus: Any, target: type[Message] | str, handler: Callable[[Any], None], name: str
    ) -> None:
        bus.subscribe(target, handler, name=name)

    async def start(self, bus: Any) -> None:
        await bus.start()
