"""The shop's handlers: one for the command, two for the event. They log what they do; the
records carry the trace and correlation ids of the message they serve, with no code of theirs
passing them along."""

from __future__ import annotations

import logging

from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.messaging.message_bus import AsyncMessageBus
from orchestrix.tracing_demo.aggregate import Order
from orchestrix.tracing_demo.models import OrderPlaced, PlaceOrder

log = logging.getLogger("orchestrix.tracing_demo")


class OutOfStockError(RuntimeError):
    """The warehouse has fewer units than the order wants."""


class Shop:
    def __init__(self, bus: AsyncMessageBus, store: AsyncEventStore, stock: dict[str, int]) -> None:
        self.bus = bus
        self.orders = AggregateRepository[Order](event_store=store)
        self.stock = dict(stock)

    def register(self) -> None:
        self.bus.subscribe(PlaceOrder, self.place_order)
        self.bus.subscribe(OrderPlaced, self.send_confirmation)
        self.bus.subscribe(OrderPlaced, self.reserve_stock)

    async def place_order(self, command: PlaceOrder) -> None:
        log.info("placing %s: %d x %s", command.order_id, command.quantity, command.product)
        order = Order(aggregate_id=command.order_id)
        order.place(command)
        events = list(order.uncommitted_events)
        await self.orders.save_async(order)
        for event in events:
            await self.bus.publish(event)

    def send_confirmation(self, event: OrderPlaced) -> None:
        log.info("confirmation sent to %s", event.customer)

    def reserve_stock(self, event: OrderPlaced) -> None:
        left = self.stock.get(event.product, 0)
        if left < event.quantity:
            raise OutOfStockError(f"only {left} x {event.product} in stock")
        self.stock[event.product] = left - event.quantity
        log.info("reserved %d x %s", event.quantity, event.product)
