"""The payment deadline: set when an order is placed, cancelled when it is paid, and, when it
falls due first, cancelling the order; it survives a restart of the process."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.execution.clock import ManualClock
from orchestrix.core.execution.deadline_scheduler import DeadlineScheduler
from orchestrix.core.execution.process_instance import ProcessStatus
from orchestrix.ecommerce_demo.handlers import OrderModule
from orchestrix.ecommerce_demo.models import (
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    PaymentOverdue,
    PayOrder,
    PlaceOrder,
)
from orchestrix.ecommerce_demo.payment_deadline import (
    PAYMENT_WINDOW,
    AwaitingPayment,
    PaymentDeadline,
)
from orchestrix.ecommerce_demo.stores import ShopStores, in_memory, in_sqlite
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.testing import assert_events_equal

LINES = (OrderLine("mouse", 1, Decimal("25.00")),)
PLACE = PlaceOrder(order_id="ORD-3", customer="Linus", lines=LINES)
PLACED = OrderPlaced(order_id="ORD-3", customer="Linus", lines=LINES, total=Decimal("25.00"))


class Shop:
    """The order module and the payment deadline on one bus, with a clock the test moves."""

    def __init__(self, stores: ShopStores, clock: ManualClock) -> None:
        self.stores = stores
        self.bus = InMemoryAsyncMessageBus()
        OrderModule().register(self.bus, stores.events)
        self.deadline = PaymentDeadline(stores.processes, self.bus, stores.deadlines, clock=clock)
        self.deadline.subscribe_to(self.bus)
        self.scheduler = DeadlineScheduler(stores.deadlines, [self.deadline], clock=clock)

    async def deadlines(self) -> list[str]:
        stored = await self.stores.deadlines.list_for("payment-deadline", "ORD-3")
        return [deadline.name for deadline in stored]


async def history(events: AsyncEventStore) -> list[str]:
    return [event.type for event in await events.load("ORD-3")]


async def test_placing_an_order_sets_a_deadline_paying_it_cancels_it() -> None:
    clock = ManualClock()
    async with in_memory() as stores:
        shop = Shop(stores, clock)
        await shop.bus.publish(PLACE)
        (deadline,) = await stores.deadlines.list_for("payment-deadline", "ORD-3")
        assert (deadline.name, deadline.due_at) == ("payment", clock.now() + PAYMENT_WINDOW)
        assert isinstance(deadline.message, PaymentOverdue)
        assert await shop.deadline.get_state("ORD-3") == AwaitingPayment("Linus", Decimal(25))

        await shop.bus.publish(PayOrder(order_id="ORD-3", payment_id="PAY-1", amount=Decimal(25)))
        assert await shop.deadlines() == []
        instance = await shop.deadline.get_instance("ORD-3")
        assert instance is not None and instance.status is ProcessStatus.COMPLETED

        clock.advance(PAYMENT_WINDOW * 2)
        assert await shop.scheduler.fire_due() == 0
        assert await history(stores.events) == ["OrderPlaced", "OrderPaid"]


async def test_an_unpaid_order_is_cancelled_when_its_deadline_falls_due() -> None:
    clock = ManualClock()
    async with in_memory() as stores:
        shop = Shop(stores, clock)
        await shop.bus.publish(PLACE)
        clock.advance(PAYMENT_WINDOW - timedelta(seconds=1))
        assert await shop.scheduler.fire_due() == 0
        clock.advance(timedelta(seconds=1))
        assert await shop.scheduler.fire_due() == 1

        events = await stores.events.load("ORD-3")
        cancelled = OrderCancelled(order_id="ORD-3", reason="not paid within 30 minutes")
        assert_events_equal(events, [PLACED, cancelled])
        # One chain: the order, its deadline, the command the deadline sent, the cancellation.
        assert {event.correlation_id for event in events} == {PLACE.id}
        assert await shop.deadlines() == []


async def test_publishing_payment_overdue_on_the_bus_cancels_nothing() -> None:
    async with in_memory() as stores:
        shop = Shop(stores, ManualClock())
        await shop.bus.publish(PLACE)
        assert PaymentOverdue not in shop.deadline.event_types
        await shop.bus.publish(PaymentOverdue(order_id="ORD-3"))
        assert await history(stores.events) == ["OrderPlaced"]
        assert await shop.deadlines() == ["payment"]


async def test_a_deadline_set_before_a_restart_fires_after_it(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "shop.sqlite3"
    async with in_sqlite(path, "before") as stores:
        await Shop(stores, clock).bus.publish(PLACE)
    clock.advance(PAYMENT_WINDOW)
    async with in_sqlite(path, "after") as stores:
        assert await Shop(stores, clock).scheduler.fire_due() == 1
        assert await history(stores.events) == ["OrderPlaced", "OrderCancelled"]
