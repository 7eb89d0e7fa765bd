"""The one event of the demo: a shop sold some units of a product."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.messaging.message import Event

PRICES = {"keyboard": Decimal("60.00"), "monitor": Decimal("199.00"), "mouse": Decimal("25.00")}


@dataclass(frozen=True, kw_only=True)
class ItemSold(Event):
    sku: str
    quantity: int
    unit_price: Decimal


def sale(number: int) -> ItemSold:
    """The shop's `number`th sale: the products in turn, one to four units each."""
    sku = list(PRICES)[number % len(PRICES)]
    return ItemSold(sku=sku, quantity=1 + number % 4, unit_price=PRICES[sku])
