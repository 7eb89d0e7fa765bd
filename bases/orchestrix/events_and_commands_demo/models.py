"""The messages of a coffee bar: a command asks, an event tells what happened."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.messaging.message import Command, Event


@dataclass(frozen=True, kw_only=True)
class OrderCoffee(Command):
    order_id: str
    drink: str


@dataclass(frozen=True, kw_only=True)
class CoffeeOrdered(Event):
    order_id: str
    drink: str


@dataclass(frozen=True, kw_only=True)
class BrewCoffee(Command):
    order_id: str
    drink: str


@dataclass(frozen=True, kw_only=True)
class CoffeeBrewed(Event):
    order_id: str
    drink: str
