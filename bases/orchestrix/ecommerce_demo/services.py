"""The outside world the shop depends on: a payment provider and a warehouse.

Both live in process memory and say what they do, so the demo can show it. Each operation is
keyed by an id that stays the same when it is repeated (the order for a charge or a
reservation, the payment for a refund), and repeating it changes nothing: a saga step may run
twice when a saga resumes after a crash (see docs/sagas.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from orchestrix.ecommerce_demo.models import OrderLine, describe_lines


@dataclass(frozen=True)
class Charge:
    payment_id: str
    order_id: str
    amount: Decimal
    token: str


@dataclass(frozen=True)
class Refund:
    refund_id: str
    payment_id: str
    amount: Decimal


class PaymentProvider:
    """Charges payment tokens and refunds charges; `say` hears about each one."""

    def __init__(self, say: Callable[[str], None] = print) -> None:
        self.say = say
        self.charges: dict[str, Charge] = {}  # by payment id
        self.refunds: dict[str, Refund] = {}  # by payment id

    def charge(self, order_id: str, amount: Decimal, token: str) -> str:
        """Charge `amount` to `token` for the order, once; returns the payment id."""
        for charge in self.charges.values():
            if charge.order_id == order_id:
                return charge.payment_id
        payment_id = f"PAY-{len(self.charges) + 1}"
        self.charges[payment_id] = Charge(payment_id, order_id, amount, token)
        self.say(f"  payments:  charged {amount} to {token}: {payment_id}")
        return payment_id

    def refund(self, payment_id: str) -> Refund:
        """Give the whole charge back, once."""
        if payment_id not in self.refunds:
            charge = self.charges[payment_id]
            refund = Refund(f"REF-{len(self.refunds) + 1}", payment_id, charge.amount)
            self.refunds[payment_id] = refund
            self.say(f"  payments:  refunded {refund.amount} of {payment_id}: {refund.refund_id}")
        return self.refunds[payment_id]


class OutOfStockError(Exception):
    """The warehouse has fewer units of a product than an order wants."""

    def __init__(self, product: str, wanted: int, available: int) -> None:
        self.product = product
        self.wanted = wanted
        self.available = available
        super().__init__(f"only {available} x {product} in stock, {wanted} wanted")


class Warehouse:
    """Keeps the stock; reserves all of an order's lines or none of them."""

    def __init__(self, stock: dict[str, int], say: Callable[[str], None] = print) -> None:
        self.say = say
        self.stock = dict(stock)
        self.reservations: dict[str, tuple[str, tuple[OrderLine, ...]]] = {}  # id → order, lines
        self._issued = 0

    def reserve(self, order_id: str, lines: Iterable[OrderLine]) -> str:
        """Take the lines' units out of stock, once per order; returns the reservation id."""
        for reservation_id, (reserved_for, _) in self.reservations.items():
            if reserved_for == order_id:
                return reservation_id
        wanted = tuple(lines)
        for line in wanted:
            available = self.stock.get(line.product, 0)
            if line.quantity > available:
                missing = OutOfStockError(line.product, line.quantity, available)
                self.say(f"  warehouse: cannot reserve {describe_lines([line])}: {missing}")
                raise missing
        for line in wanted:
            self.stock[line.product] -= line.quantity
        self._issued += 1
        reservation_id = f"RES-{self._issued}"
        self.reservations[reservation_id] = (order_id, wanted)
        self.say(f"  warehouse: reserved {describe_lines(wanted)}: {reservation_id}")
        return reservation_id

    def release(self, reservation_id: str) -> None:
        """Put a reservation's units back, once."""
        reserved = self.reservations.pop(reservation_id, None)
        if reserved is None:
            return
        for line in reserved[1]:
            self.stock[line.product] += line.quantity
        self.say(f"  warehouse: released {reservation_id}")
