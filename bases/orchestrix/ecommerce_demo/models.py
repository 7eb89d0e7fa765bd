"""Commands and events of a small shop. Each command checks its own fields when it is built,
so an invalid one never reaches a handler."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.common.validation import (
    ValidationError,
    validate_not_empty,
    validate_one_of,
    validate_positive,
)
from orchestrix.core.messaging.message import Command, Event

PRODUCTS = ("keyboard", "monitor", "mouse")


@dataclass(frozen=True)
class OrderLine:
    """`quantity` units of `product` at `unit_price` each."""

    product: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


def describe_lines(lines: Iterable[OrderLine]) -> str:
    """`2 x keyboard, 1 x mouse`."""
    return ", ".join(f"{line.quantity} x {line.product}" for line in lines)


def validate_lines(lines: object) -> None:
    """At least one line, each for a product we sell, in a positive quantity and price.

    A field inside a line is named by its place, `lines[0].quantity`, so the error says which.
    """
    if not isinstance(lines, tuple):  # a tuple, so the command stays immutable and hashable
        raise ValidationError("lines must be a tuple of OrderLine", "lines", lines)
    if not lines:
        raise ValidationError("an order needs at least one line", "lines", lines)
    for number, line in enumerate(lines):
        where = f"lines[{number}]"
        if not isinstance(line, OrderLine):
            raise ValidationError(f"{where} must be an OrderLine", where, line)
        validate_one_of(line.product, PRODUCTS, f"{where}.product")
        validate_positive(line.quantity, f"{where}.quantity")
        validate_positive(line.unit_price, f"{where}.unit_price")


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command):
    order_id: str
    customer: str
    lines: tuple[OrderLine, ...]

    def __post_init__(self) -> None:
        validate_not_empty(self.order_id, "order_id")
        validate_not_empty(self.customer, "customer")
        validate_lines(self.lines)


@dataclass(frozen=True, kw_only=True)
class CheckOut(Command):
    """The customer pays: starts the fulfilment saga. A real shop never sees card numbers;
    the payment provider's page hands it a token."""

    order_id: str
    payment_token: str

    def __post_init__(self) -> None:
        validate_not_empty(self.order_id, "order_id")
        if not isinstance(self.payment_token, str) or not self.payment_token.startswith("tok_"):
            raise ValidationError(
                "payment_token must start with 'tok_'",
                "payment_token",
                self.payment_token,
            )


@dataclass(frozen=True, kw_only=True)
class PayOrder(Command):
    order_id: str
    payment_id: str
    amount: Decimal

    def __post_init__(self) -> None:
        validate_positive(self.amount, "amount")


@dataclass(frozen=True, kw_only=True)
class ConfirmOrder(Command):
    order_id: str
    reservation_id: str


@dataclass(frozen=True, kw_only=True)
class ShipOrder(Command):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class CancelOrder(Command):
    order_id: str
    reason: str

    def __post_init__(self) -> None:
        validate_not_empty(self.reason, "reason")


@dataclass(frozen=True, kw_only=True)
class RefundOrder(Command):
    order_id: str
    refund_id: str
    amount: Decimal

    def __post_init__(self) -> None:
        validate_positive(self.amount, "amount")


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event):
    order_id: str
    customer: str
    lines: tuple[OrderLine, ...]
    total: Decimal


@dataclass(frozen=True, kw_only=True)
class OrderPaid(Event):
    order_id: str
    payment_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(Event):
    order_id: str
    reservation_id: str


@dataclass(frozen=True, kw_only=True)
class OrderShipped(Event):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    order_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderRefunded(Event):
    order_id: str
    refund_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class PaymentOverdue(Event):
    """What the payment deadline delivers to its process when it falls due."""

    order_id: str


ORDER_EVENTS = (OrderPlaced, OrderPaid, OrderConfirmed, OrderShipped, OrderCancelled, OrderRefunded)
