"""The order aggregate: a state machine whose transitions are events.

`TRANSITIONS` is the whole life of an order in one table. Every command method first asks it
whether the action is allowed in the current state, so an illegal transition is refused with
an error naming both, before any event is recorded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.eventsourcing.aggregate import AggregateRoot
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


class OrderStatus(enum.StrEnum):
    NEW = "new"  # nothing happened yet: the order exists once it is placed
    PLACED = "placed"
    PAID = "paid"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Transition:
    allowed_in: frozenset[OrderStatus]
    leads_to: OrderStatus


def _moves(*allowed_in: OrderStatus, to: OrderStatus) -> Transition:
    return Transition(frozenset(allowed_in), to)


# action → the states it is allowed in, and the state it leads to.
TRANSITIONS: dict[str, Transition] = {
    "place": _moves(OrderStatus.NEW, to=OrderStatus.PLACED),
    "pay": _moves(OrderStatus.PLACED, to=OrderStatus.PAID),
    "confirm": _moves(OrderStatus.PAID, to=OrderStatus.CONFIRMED),
    "ship": _moves(OrderStatus.CONFIRMED, to=OrderStatus.SHIPPED),
    "cancel": _moves(OrderStatus.PLACED, to=OrderStatus.CANCELLED),
    "refund": _moves(OrderStatus.PAID, to=OrderStatus.REFUNDED),
}


class IllegalTransitionError(ValueError):
    """An action the order's current state does not allow."""

    def __init__(self, order_id: str, status: OrderStatus, action: str) -> None:
        self.order_id = order_id
        self.status = status
        self.action = action
        allowed = " or ".join(sorted(TRANSITIONS[action].allowed_in))
        super().__init__(
            f"Cannot {action} order {order_id}: it is {status} ({action} needs {allowed})"
        )


@dataclass
class Order(AggregateRoot):
    customer: str = ""
    lines: tuple[OrderLine, ...] = ()
    total: Decimal = Decimal(0)
    status: OrderStatus = OrderStatus.NEW

    def require(self, action: str) -> None:
        """Raise `IllegalTransitionError` unless `action` is allowed now."""
        if self.status not in TRANSITIONS[action].allowed_in:
            raise IllegalTransitionError(self.aggregate_id, self.status, action)

    def place(self, command: PlaceOrder) -> None:
        self.require("place")
        total = sum((line.amount for line in command.lines), Decimal(0))
        self._apply_event(
            OrderPlaced.caused_by(
                command,
                order_id=self.aggregate_id,
                customer=command.customer,
                lines=command.lines,
                total=total,
            )
        )

    def pay(self, command: PayOrder) -> None:
        self.require("pay")
        if command.amount != self.total:
            raise ValueError(f"Order {self.aggregate_id} costs {self.total}, not {command.amount}")
        self._apply_event(
            OrderPaid.caused_by(
                command,
                order_id=self.aggregate_id,
                payment_id=command.payment_id,
                amount=command.amount,
            )
        )

    def confirm(self, command: ConfirmOrder) -> None:
        self.require("confirm")
        self._apply_event(
            OrderConfirmed.caused_by(
                command, order_id=self.aggregate_id, reservation_id=command.reservation_id
            )
        )

    def ship(self, command: ShipOrder) -> None:
        self.require("ship")
        self._apply_event(OrderShipped.caused_by(command, order_id=self.aggregate_id))

    def cancel(self, command: CancelOrder) -> None:
        self.require("cancel")
        self._apply_event(
            OrderCancelled.caused_by(command, order_id=self.aggregate_id, reason=command.reason)
        )

    def refund(self, command: RefundOrder) -> None:
        self.require("refund")
        self._apply_event(
            OrderRefunded.caused_by(
                command,
                order_id=self.aggregate_id,
                refund_id=command.refund_id,
                amount=command.amount,
            )
        )

    def _move(self, action: str) -> None:
        self.status = TRANSITIONS[action].leads_to

    def _when_order_placed(self, event: OrderPlaced) -> None:
        self.customer = event.customer
        self.lines = event.lines
        self.total = event.total
        self._move("place")

    def _when_order_paid(self, event: OrderPaid) -> None:
        self._move("pay")

    def _when_order_confirmed(self, event: OrderConfirmed) -> None:
        self._move("confirm")

    def _when_order_shipped(self, event: OrderShipped) -> None:
        self._move("ship")

    def _when_order_cancelled(self, event: OrderCancelled) -> None:
        self._move("cancel")

    def _when_order_refunded(self, event: OrderRefunded) -> None:
        self._move("refund")
