"""The order's command handlers on a bus and a store, as given / when / then scenarios."""

from __future__ import annotations

from decimal import Decimal

from orchestrix.core.common.exceptions import AggregateNotFoundError
from orchestrix.ecommerce_demo.aggregate import IllegalTransitionError
from orchestrix.ecommerce_demo.handlers import OrderModule
from orchestrix.ecommerce_demo.models import (
    CancelOrder,
    OrderCancelled,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    PayOrder,
    PlaceOrder,
    RefundOrder,
    ShipOrder,
)
from orchestrix.testing import AsyncHandlerScenario

LINES = (OrderLine("monitor", 2, Decimal("199.00")),)
PLACED = OrderPlaced(order_id="ORD-2", customer="Grace", lines=LINES, total=Decimal("398.00"))
PAID = OrderPaid(order_id="ORD-2", payment_id="PAY-2", amount=Decimal("398.00"))


def orders() -> AsyncHandlerScenario:
    return AsyncHandlerScenario(OrderModule().register)


async def test_placing_an_order_stores_and_publishes_it() -> None:
    place = PlaceOrder(order_id="ORD-2", customer="Grace", lines=LINES)
    (stored,) = await orders().when(place).then(PLACED)
    assert (stored.causation_id, stored.correlation_id) == (place.id, place.id)
    await orders().when(place).then_published(PLACED)


async def test_an_order_is_placed_once() -> None:
    again = PlaceOrder(order_id="ORD-2", customer="Grace", lines=LINES)
    await (
        orders()
        .given("ORD-2", PLACED)
        .when(again)
        .then_raises(IllegalTransitionError, match=r"^Cannot place order ORD-2: it is placed")
    )


async def test_each_command_moves_the_order_on() -> None:
    pay = PayOrder(order_id="ORD-2", payment_id="PAY-2", amount=Decimal("398.00"))
    await orders().given("ORD-2", PLACED).when(pay).then(PAID)
    refund = RefundOrder(order_id="ORD-2", refund_id="REF-1", amount=Decimal("398.00"))
    await (
        orders()
        .given("ORD-2", PLACED, PAID)
        .when(refund)
        .then_published(OrderRefunded(order_id="ORD-2", refund_id="REF-1", amount=Decimal(398)))
    )
    cancel = CancelOrder(order_id="ORD-2", reason="not paid within 30 minutes")
    await (
        orders()
        .given("ORD-2", PLACED)
        .when(cancel)
        .then(OrderCancelled(order_id="ORD-2", reason="not paid within 30 minutes"))
    )


async def test_a_refused_command_reaches_the_caller_with_the_aggregates_error() -> None:
    refunded = OrderRefunded(order_id="ORD-2", refund_id="REF-1", amount=Decimal("398.00"))
    scenario = orders().given("ORD-2", PLACED, PAID, refunded).when(ShipOrder(order_id="ORD-2"))
    error = await scenario.then_raises(IllegalTransitionError)
    assert str(error) == "Cannot ship order ORD-2: it is refunded (ship needs confirmed)"
    await (
        orders()
        .when(ShipOrder(order_id="ORD-9"))
        .then_raises(AggregateNotFoundError, match="ORD-9")
    )
