"""A bar tab, the domain the testing helpers are tested on: an aggregate and its handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.event_store import AsyncEventStore, EventStore
from orchestrix.core.messaging.message import Command, Event
from orchestrix.core.messaging.message_bus import AsyncMessageBus, MessageBus


@dataclass(frozen=True, kw_only=True)
class OpenTab(Command):
    tab_id: str
    table: int


@dataclass(frozen=True, kw_only=True)
class OrderDrink(Command):
    tab_id: str
    drink: str
    price: Decimal


@dataclass(frozen=True, kw_only=True)
class CloseTab(Command):
    tab_id: str
    paid: Decimal


@dataclass(frozen=True, kw_only=True)
class TabOpened(Event):
    tab_id: str
    table: int


@dataclass(frozen=True, kw_only=True)
class DrinkOrdered(Event):
    tab_id: str
    drink: str
    price: Decimal


@dataclass(frozen=True, kw_only=True)
class TabClosed(Event):
    tab_id: str
    paid: Decimal
    tip: Decimal


class TabNotOpenError(ValueError):
    """Orders and payments need an open tab."""


class UnderpaidError(ValueError):
    """A tab closes only when paid in full."""


@dataclass
class Tab(AggregateRoot):
    is_open: bool = False
    total: Decimal = Decimal(0)

    def open(self, command: OpenTab) -> None:
        self._apply_event(TabOpened.caused_by(command, tab_id=command.tab_id, table=command.table))

    def order(self, command: OrderDrink) -> None:
        self._require_open()
        self._apply_event(
            DrinkOrdered.caused_by(
                command, tab_id=command.tab_id, drink=command.drink, price=command.price
            )
        )

    async def order_from_menu(self, drink: str, menu: Callable[[str], Awaitable[Decimal]]) -> None:
        self._require_open()
        price = await menu(drink)
        self._apply_event(DrinkOrdered(tab_id=self.aggregate_id, drink=drink, price=price))

    def close(self, command: CloseTab) -> None:
        self._require_open()
        if command.paid < self.total:
            raise UnderpaidError(f"Tab {self.aggregate_id} owes {self.total}, paid {command.paid}")
        tip = command.paid - self.total
        self._apply_event(
            TabClosed.caused_by(command, tab_id=command.tab_id, paid=command.paid, tip=tip)
        )

    def _require_open(self) -> None:
        if not self.is_open:
            raise TabNotOpenError(f"Tab {self.aggregate_id} is not open")

    def _when_tab_opened(self, event: TabOpened) -> None:
        self.is_open = True

    def _when_drink_ordered(self, event: DrinkOrdered) -> None:
        self.total += event.price

    def _when_tab_closed(self, event: TabClosed) -> None:
        self.is_open = False


class TabHandler:
    """The command handlers: load the tab, let it decide, save, publish."""

    def __init__(self, bus: MessageBus, store: EventStore) -> None:
        self.bus = bus
        self.repository = AggregateRepository[Tab](event_store=store)

    def open(self, command: OpenTab) -> None:
        tab = Tab(aggregate_id=command.tab_id)
        tab.open(command)
        self._commit(tab)

    def order(self, command: OrderDrink) -> None:
        tab = self.repository.load(Tab, command.tab_id)
        tab.order(command)
        self._commit(tab)

    def close(self, command: CloseTab) -> None:
        tab = self.repository.load(Tab, command.tab_id)
        tab.close(command)
        self._commit(tab)

    def _commit(self, tab: Tab) -> None:
        events = list(tab.uncommitted_events)
        self.repository.save(tab)
        for event in events:
            self.bus.publish(event)


def register(bus: MessageBus, store: EventStore) -> None:
    handler = TabHandler(bus, store)
    bus.subscribe(OpenTab, handler.open)
    bus.subscribe(OrderDrink, handler.order)
    bus.subscribe(CloseTab, handler.close)


class AsyncTabHandler:
    """The same handlers for async code."""

    def __init__(self, bus: AsyncMessageBus, store: AsyncEventStore) -> None:
        self.bus = bus
        self.repository = AggregateRepository[Tab](event_store=store)

    async def open(self, command: OpenTab) -> None:
        tab = Tab(aggregate_id=command.tab_id)
        tab.open(command)
        await self._commit(tab)

    async def order(self, command: OrderDrink) -> None:
        tab = await self.repository.load_async(Tab, command.tab_id)
        tab.order(command)
        await self._commit(tab)

    async def _commit(self, tab: Tab) -> None:
        events = list(tab.uncommitted_events)
        await self.repository.save_async(tab)
        for event in events:
            await self.bus.publish(event)


def register_async(bus: AsyncMessageBus, store: AsyncEventStore) -> None:
    handler = AsyncTabHandler(bus, store)
    bus.subscribe(OpenTab, handler.open)
    bus.subscribe(OrderDrink, handler.order)
