"""The order: placed once, by the event it records."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.tracing_demo.models import OrderPlaced, PlaceOrder


@dataclass
class Order(AggregateRoot):
    customer: str = ""

    def place(self, command: PlaceOrder) -> None:
        self._apply_event(
            OrderPlaced.caused_by(
                command,
                order_id=self.aggregate_id,
                customer=command.customer,
                product=command.product,
                quantity=command.quantity,
            )
        )

    def _when_order_placed(self, event: OrderPlaced) -> None:
        self.customer = event.customer
