"""A command to place an order, and the event it records."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.common.validation import validate_not_empty, validate_positive
from orchestrix.core.messaging.message import Command, Event


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command):
    order_id: str
    customer: str
    product: str
    quantity: int

    def __post_init__(self) -> None:
        validate_not_empty(self.customer, "customer")
        validate_positive(self.quantity, "quantity")


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event):
    order_id: str
    customer: str
    product: str
    quantity: int
