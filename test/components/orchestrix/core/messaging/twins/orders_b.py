"""Another `OrderCreated`, with other fields."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.messaging.message import Event


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event):
    order_id: str
    total: Decimal
