"""Process managers on RabbitMQ: each kind consumes a queue of its own.

Every process manager subscribes the same method, `ProcessManager.handle`, so a queue named
after the handler would be shared by every kind of process manager. Declaring queues needs
no broker: the bus records them when subscribing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orchestrix.core.execution.errors import ProcessDefinitionError
from orchestrix.core.execution.process_manager import ProcessContext, ProcessManager, handles
from orchestrix.infrastructure.memory import InMemoryAsyncMessageBus, InMemoryProcessStateStore
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.components.orchestrix.core.execution.order_payment import OrderPayment, OrderPlaced


@dataclass(frozen=True)
class Seen:
    count: int = 0


class OrderAudit(ProcessManager[Seen]):
    process_type = "order-audit"
    state_type = Seen
    correlate_by = "order_id"

    @handles(OrderPlaced, starts=True)
    def placed(self, event: OrderPlaced, context: ProcessContext[Seen]) -> None:
        context.state = Seen(1)


def test_two_kinds_of_process_manager_get_a_queue_each() -> None:
    bus = RabbitMQMessageBus(namespace="pm")
    payment = OrderPayment(InMemoryProcessStateStore(), bus)
    audit = OrderAudit(InMemoryProcessStateStore(), bus)
    payment.subscribe_to(bus)
    audit.subscribe_to(bus)
    events = {
        queue for queue, route in bus.subscriptions.routes.items() if route.exchange == "pm.events"
    }
    assert events == {"pm.handler.process.order-payment", "pm.handler.process.order-audit"}


def test_a_name_of_your_own_names_the_queue() -> None:
    bus = RabbitMQMessageBus(namespace="pm")
    OrderAudit(InMemoryProcessStateStore(), bus).subscribe_to(bus, name="audit-v2")
    assert "pm.handler.audit-v2" in bus.subscriptions.routes


def test_a_bus_without_queue_names_refuses_one() -> None:
    bus = InMemoryAsyncMessageBus()
    with pytest.raises(ProcessDefinitionError, match="does not name its queues"):
        OrderAudit(InMemoryProcessStateStore(), bus).subscribe_to(bus, name="audit")
