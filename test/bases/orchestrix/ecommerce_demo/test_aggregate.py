"""The order's state machine, as given / when / then scenarios: every legal move records its
event, every illegal one is refused naming the state and the action."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from orchestrix.core.messaging.message import Event
from orchestrix.ecommerce_demo.aggregate import (
    TRANSITIONS,
    IllegalTransitionError,
    Order,
    OrderStatus,
)
from orchestrix.ecommerce_demo.models import (
    CancelOrder,
    ConfirmOrder,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PayOrder,
    PlaceOrder,
    RefundOrder,
    ShipOrder,
)
from orchestrix.testing import AggregateScenario

LINES = (OrderLine("keyboard", 2, Decimal("60.00")), OrderLine("mouse", 1, Decimal("25.00")))
PLACED = OrderPlaced(order_id="ORD-1", customer="Ada", lines=LINES, total=Decimal("145.00"))
PAID = OrderPaid(order_id="ORD-1", payment_id="PAY-1", amount=Decimal("145.00"))
CONFIRMED = OrderConfirmed(order_id="ORD-1", reservation_id="RES-1")
SHIPPED = OrderShipped(order_id="ORD-1")
CANCELLED = OrderCancelled(order_id="ORD-1", reason="not paid")
REFUNDED = OrderRefunded(order_id="ORD-1", refund_id="REF-1", amount=Decimal("145.00"))

HISTORY: dict[OrderStatus, tuple[Event, ...]] = {
    OrderStatus.NEW: (),
    OrderStatus.PLACED: (PLACED,),
    OrderStatus.PAID: (PLACED, PAID),
    OrderStatus.CONFIRMED: (PLACED, PAID, CONFIRMED),
    OrderStatus.SHIPPED: (PLACED, PAID, CONFIRMED, SHIPPED),
    OrderStatus.CANCELLED: (PLACED, CANCELLED),
    OrderStatus.REFUNDED: (PLACED, PAID, REFUNDED),
}
ACTIONS: dict[str, Callable[[Order], None]] = {
    "place": lambda o: o.place(PlaceOrder(order_id="ORD-1", customer="Ada", lines=LINES)),
    "pay": lambda o: o.pay(PayOrder(order_id="ORD-1", payment_id="PAY-1", amount=Decimal(145))),
    "confirm": lambda o: o.confirm(ConfirmOrder(order_id="ORD-1", reservation_id="RES-1")),
    "ship": lambda o: o.ship(ShipOrder(order_id="ORD-1")),
    "cancel": lambda o: o.cancel(CancelOrder(order_id="ORD-1", reason="not paid")),
    "refund": lambda o: o.refund(
        RefundOrder(order_id="ORD-1", refund_id="REF-1", amount=Decimal("145.00"))
    ),
}
RECORDS = {
    "place": PLACED,
    "pay": PAID,
    "confirm": CONFIRMED,
    "ship": SHIPPED,
    "cancel": CANCELLED,
    "refund": REFUNDED,
}


def order(status: OrderStatus) -> AggregateScenario[Order]:
    return AggregateScenario(Order, "ORD-1").given(*HISTORY[status])


def test_every_history_leads_to_its_state() -> None:
    for status, history in HISTORY.items():
        rebuilt = AggregateScenario(Order, "ORD-1").given(*history).when(lambda o: None).then()
        assert (rebuilt.status, rebuilt.version) == (status, len(history))


def test_placing_records_the_lines_and_the_total() -> None:
    placed = order(OrderStatus.NEW).when(ACTIONS["place"]).then(PLACED)
    assert (placed.customer, placed.lines, placed.total) == ("Ada", LINES, Decimal("145.00"))


LEGAL = [
    (action, status)
    for action, transition in TRANSITIONS.items()
    for status in sorted(transition.allowed_in)
]
ILLEGAL = [
    (action, status)
    for action, transition in TRANSITIONS.items()
    for status in OrderStatus
    if status not in transition.allowed_in
]


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_a_legal_move_records_its_event_and_enters_its_state(
    action: str, status: OrderStatus
) -> None:
    moved = order(status).when(ACTIONS[action]).then(RECORDS[action])
    assert moved.status is TRANSITIONS[action].leads_to


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_an_illegal_move_is_refused_naming_state_and_action(
    action: str, status: OrderStatus
) -> None:
    error = order(status).when(ACTIONS[action]).then_raises(IllegalTransitionError)
    assert (error.order_id, error.status, error.action) == ("ORD-1", status, action)
    assert str(error).startswith(f"Cannot {action} order ORD-1: it is {status} ({action} needs ")


def test_the_error_says_what_the_action_needs() -> None:
    error = order(OrderStatus.CANCELLED).when(ACTIONS["pay"]).then_raises(IllegalTransitionError)
    assert str(error) == "Cannot pay order ORD-1: it is cancelled (pay needs placed)"
    assert isinstance(error, ValueError)
    assert len(ILLEGAL) == 6 * 7 - len(LEGAL) == 36


def test_a_payment_must_match_the_total() -> None:
    short = PayOrder(order_id="ORD-1", payment_id="PAY-1", amount=Decimal("100.00"))
    order(OrderStatus.PLACED).when(lambda o: o.pay(short)).then_raises(
        ValueError, match=r"^Order ORD-1 costs 145.00, not 100.00$"
    )
