"""One `OrderCreated`, plus two nested classes that share the type name `Created`."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.messaging.message import Event


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class TwinUnique(Event):
    """The only class of its type name: loads by name even when the stored hint is stale."""

    value: int


class Order:
    @dataclass(frozen=True, kw_only=True)
    class Created(Event):
        order_id: str


class Invoice:
    @dataclass(frozen=True, kw_only=True)
    class Created(Event):
        invoice_id: str
        total: int
