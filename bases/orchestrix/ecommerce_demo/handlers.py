"""The order's command handlers, and the module that wires them to a bus and a store.

Each handler loads the order, lets it decide, saves the events it recorded and then publishes
them, so the fulfilment saga and the payment deadline hear about them. The handlers are thin:
every rule is the aggregate's.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrix.core.common.exceptions import AggregateNotFoundError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.messaging.message_bus import AsyncMessageBus
from orchestrix.ecommerce_demo.aggregate import Order
from orchestrix.ecommerce_demo.models import (
    CancelOrder,
    ConfirmOrder,
    PayOrder,
    PlaceOrder,
    RefundOrder,
    ShipOrder,
)


class OrderCommandHandler:
    """Load, decide, save, publish: one method per command."""

    def __init__(self, bus: AsyncMessageBus, store: AsyncEventStore) -> None:
        self.bus = bus
        self.repository = AggregateRepository[Order](event_store=store)

    async def place(self, command: PlaceOrder) -> None:
        try:
            order = await self.repository.load_async(Order, command.order_id)
        except AggregateNotFoundError:
            order = Order(aggregate_id=command.order_id)
        order.place(command)  # refused if the order was placed before
        await self._commit(order)

    async def pay(self, command: PayOrder) -> None:
        await self._update(command.order_id, lambda order: order.pay(command))

    async def confirm(self, command: ConfirmOrder) -> None:
        await self._update(command.order_id, lambda order: order.confirm(command))

    async def ship(self, command: ShipOrder) -> None:
        await self._update(command.order_id, lambda order: order.ship(command))

    async def cancel(self, command: CancelOrder) -> None:
        await self._update(command.order_id, lambda order: order.cancel(command))

    async def refund(self, command: RefundOrder) -> None:
        await self._update(command.order_id, lambda order: order.refund(command))

    async def _update(self, order_id: str, decide: Callable[[Order], None]) -> None:
        order = await self.repository.load_async(Order, order_id)
        decide(order)
        await self._commit(order)

    async def _commit(self, order: Order) -> None:
        events = list(order.uncommitted_events)
        await self.repository.save_async(order)
        for event in events:
            await self.bus.publish(event)


class OrderModule:
    """Wires the order's command handlers: the Module pattern of seed 000, on an async bus."""

    def register(self, bus: AsyncMessageBus, store: AsyncEventStore) -> None:
        handler = OrderCommandHandler(bus, store)
        bus.subscribe(PlaceOrder, handler.place)
        bus.subscribe(PayOrder, handler.pay)
        bus.subscribe(ConfirmOrder, handler.confirm)
        bus.subscribe(ShipOrder, handler.ship)
        bus.subscribe(CancelOrder, handler.cancel)
        bus.subscribe(RefundOrder, handler.refund)
