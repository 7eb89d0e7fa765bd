"""The fulfilment saga: its happy path, the refund when the stock is short, a checkout the
order refuses, a payment recorded too late, and a crash in the middle resumed at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.core.common.exceptions import HandlerError
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.execution.errors import SagaStateError
from orchestrix.core.execution.memory_saga_store import InMemorySagaStateStore
from orchestrix.core.execution.saga_recovery import recover_sagas
from orchestrix.core.execution.saga_state import SagaStateStore, SagaStatus
from orchestrix.core.messaging.message_bus import AsyncMessageBus
from orchestrix.ecommerce_demo.aggregate import IllegalTransitionError
from orchestrix.ecommerce_demo.handlers import OrderCommandHandler, OrderModule
from orchestrix.ecommerce_demo.models import (
    CancelOrder,
    CheckOut,
    ConfirmOrder,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    PayOrder,
)
from orchestrix.ecommerce_demo.saga import SAGA_TYPE, OrderFulfilment
from orchestrix.ecommerce_demo.services import OutOfStockError, PaymentProvider, Warehouse
from orchestrix.ecommerce_demo.stores import in_sqlite
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.testing import AsyncHandlerScenario, assert_events_equal

LINES = (OrderLine("monitor", 2, Decimal("199.00")),)
PLACED = OrderPlaced(order_id="ORD-2", customer="Grace", lines=LINES, total=Decimal("398.00"))
PAID = OrderPaid(order_id="ORD-2", payment_id="PAY-1", amount=Decimal("398.00"))
CHECKOUT = CheckOut(order_id="ORD-2", payment_token="tok_grace")


class Shop:
    """The order module and the saga on one bus, with an outside world of their own."""

    def __init__(self, monitors: int) -> None:
        self.said: list[str] = []
        self.payments = PaymentProvider(say=self.said.append)
        self.warehouse = Warehouse({"monitor": monitors}, say=self.said.append)
        self.sagas = InMemorySagaStateStore()

    def wire(self, bus: AsyncMessageBus, store: AsyncEventStore) -> None:
        OrderModule().register(bus, store)
        self.fulfilment(bus, store).register(bus)

    def fulfilment(self, bus: AsyncMessageBus, store: AsyncEventStore) -> OrderFulfilment:
        return OrderFulfilment(bus, store, self.sagas, self.payments, self.warehouse)


async def test_payment_inventory_confirmation() -> None:
    shop = Shop(monitors=5)
    scenario = AsyncHandlerScenario(shop.wire).given("ORD-2", PLACED).when(CHECKOUT)
    paid, confirmed = await scenario.then(
        PAID, OrderConfirmed(order_id="ORD-2", reservation_id="RES-1")
    )
    assert paid.correlation_id == confirmed.correlation_id == CHECKOUT.id
    state = await shop.sagas.load_state(CHECKOUT.id)
    assert state is not None
    assert (state.saga_type, state.status) == (SAGA_TYPE, SagaStatus.COMPLETED)
    assert state.step_results == {"payment": "PAY-1", "inventory": "RES-1", "confirmation": None}
    assert shop.warehouse.stock == {"monitor": 3}
    assert shop.said == [
        "  payments:  charged 398.00 to tok_grace: PAY-1",
        "  warehouse: reserved 2 x monitor: RES-1",
    ]

    published = (
        await AsyncHandlerScenario(Shop(monitors=5).wire)
        .given("ORD-2", PLACED)
        .when(CHECKOUT)
        .then_published(
            PayOrder(order_id="ORD-2", payment_id="PAY-1", amount=Decimal("398.00")),
            PAID,
            ConfirmOrder(order_id="ORD-2", reservation_id="RES-1"),
            OrderConfirmed(order_id="ORD-2", reservation_id="RES-1"),
        )
    )
    assert {message.causation_id for message in published[::2]} == {CHECKOUT.id}


async def test_the_same_checkout_delivered_twice_runs_one_saga() -> None:
    shop = Shop(monitors=5)
    bus = InMemoryAsyncMessageBus()
    events = InMemoryAsyncEventStore()
    shop.wire(bus, events)
    await events.save("ORD-2", [PLACED])
    await bus.publish(CHECKOUT)
    with pytest.raises(HandlerError) as again:
        await bus.publish(CHECKOUT)
    assert isinstance(again.value.original_error, SagaStateError)
    assert "has already been executed" in str(again.value.original_error)
    assert list(shop.payments.charges) == ["PAY-1"]
    assert [event.type for event in await events.load("ORD-2")] == [
        "OrderPlaced",
        "OrderPaid",
        "OrderConfirmed",
    ]


async def test_short_stock_fails_the_inventory_step_and_the_payment_is_refunded() -> None:
    shop = Shop(monitors=1)
    scenario = AsyncHandlerScenario(shop.wire).given("ORD-2", PLACED).when(CHECKOUT)
    error = await scenario.then_raises(OutOfStockError)
    assert str(error) == "only 1 x monitor in stock, 2 wanted"
    assert (error.product, error.wanted, error.available) == ("monitor", 2, 1)

    state = await shop.sagas.load_state(CHECKOUT.id)
    assert state is not None
    assert state.status is SagaStatus.FAILED
    assert state.error == "only 1 x monitor in stock, 2 wanted"
    assert {name: step.status for name, step in state.step_statuses.items()} == {
        "payment": "compensated",
        "inventory": "failed",
    }
    (refund,) = shop.payments.refunds.values()
    assert (refund.refund_id, refund.payment_id, refund.amount) == ("REF-1", "PAY-1", 398)
    assert shop.warehouse.stock == {"monitor": 1}
    assert shop.said[-1] == "  payments:  refunded 398.00 of PAY-1: REF-1"


async def test_the_refund_is_in_the_orders_history() -> None:
    shop = Shop(monitors=1)
    bus = InMemoryAsyncMessageBus()
    events = InMemoryAsyncEventStore()
    shop.wire(bus, events)
    await events.save("ORD-2", [PLACED])
    with pytest.raises(HandlerError) as refused:
        await bus.publish(CHECKOUT)
    assert isinstance(refused.value.original_error, OutOfStockError)
    refunded = OrderRefunded(order_id="ORD-2", refund_id="REF-1", amount=Decimal("398.00"))
    history = await events.load("ORD-2")
    assert_events_equal(history, [PLACED, PAID, refunded])
    assert history[-1].correlation_id == CHECKOUT.id


async def test_a_checkout_the_order_refuses_charges_nothing() -> None:
    shop = Shop(monitors=5)
    cancelled = OrderCancelled(order_id="ORD-2", reason="not paid within 30 minutes")
    scenario = AsyncHandlerScenario(shop.wire).given("ORD-2", PLACED, cancelled).when(CHECKOUT)
    await scenario.then_raises(
        IllegalTransitionError, match=r"^Cannot pay order ORD-2: it is cancelled"
    )
    assert shop.payments.charges == {}
    state = await shop.sagas.load_state(CHECKOUT.id)
    assert state is not None
    assert state.status is SagaStatus.FAILED
    assert {name: step.status for name, step in state.step_statuses.items()} == {
        "payment": "failed"
    }


async def test_a_payment_the_order_refuses_after_the_charge_is_given_back() -> None:
    """The deadline cancels the order between the step's check and its `PayOrder`: the step
    refunds its own charge, since a saga compensates only the steps that completed."""
    shop = Shop(monitors=5)

    def racing(bus: AsyncMessageBus, store: AsyncEventStore) -> None:
        orders = OrderCommandHandler(bus, store)

        async def cancelled_meanwhile(command: PayOrder) -> None:
            await orders.cancel(CancelOrder(order_id=command.order_id, reason="too late"))
            await orders.pay(command)

        bus.subscribe(PayOrder, cancelled_meanwhile)
        shop.fulfilment(bus, store).register(bus)

    scenario = AsyncHandlerScenario(racing).given("ORD-2", PLACED).when(CHECKOUT)
    error = await scenario.then_raises(HandlerError)  # the PayOrder handler's, in check_out's
    assert isinstance(error.original_error, HandlerError)
    assert isinstance(error.original_error.original_error, IllegalTransitionError)
    assert list(shop.payments.charges) == ["PAY-1"]
    assert [refund.payment_id for refund in shop.payments.refunds.values()] == ["PAY-1"]
    state = await shop.sagas.load_state(CHECKOUT.id)
    assert state is not None and state.status is SagaStatus.FAILED
    assert state.error == (
        "Handler 'cancelled_meanwhile' failed for message type 'PayOrder': "
        "Cannot pay order ORD-2: it is cancelled (pay needs placed)"
    )


class ProcessDied(BaseException):
    """Stands for a crash: nothing after it runs, not even compensation."""


class CrashingWarehouse(Warehouse):
    def reserve(self, order_id: str, lines: Iterable[OrderLine]) -> str:
        raise ProcessDied


async def test_a_saga_cut_short_by_a_crash_resumes_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    payments = PaymentProvider(say=lambda line: None)  # the outside world outlives the shop

    def fulfilment(
        states: SagaStateStore, events: AsyncEventStore, warehouse: Warehouse
    ) -> OrderFulfilment:
        bus = InMemoryAsyncMessageBus()
        OrderModule().register(bus, events)
        return OrderFulfilment(bus, events, states, payments, warehouse)

    async with in_sqlite(path, "first run") as stores:
        await stores.events.save("ORD-2", [PLACED])
        crashing = fulfilment(stores.sagas, stores.events, CrashingWarehouse({"monitor": 5}))
        with pytest.raises(ProcessDied):
            await crashing.check_out(CHECKOUT)
        state = await stores.sagas.load_state(CHECKOUT.id)
        assert state is not None
        assert (state.status, state.current_step_index) == (SagaStatus.IN_PROGRESS, 1)

    warehouse = Warehouse({"monitor": 5}, say=lambda line: None)
    async with in_sqlite(path, "after the restart") as stores:
        (resumed,) = await recover_sagas(
            [fulfilment(stores.sagas, stores.events, warehouse).saga()]
        )
        history = await stores.events.load("ORD-2")
    assert resumed.status is SagaStatus.COMPLETED
    assert list(payments.charges) == ["PAY-1"]  # charged once, although the saga ran twice
    assert_events_equal(
        history, [PLACED, PAID, OrderConfirmed(order_id="ORD-2", reservation_id="RES-1")]
    )
