"""A small user program, type-checked in CI as users check theirs (see `mypy.ini` here).

`assert_type` pins what the type checker infers; `# type: ignore[...]` lines are mistakes it
must catch: with `warn_unused_ignores`, an ignore that stops being needed fails the check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import assert_type

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.event_log import RecordedEvent
from orchestrix.core.eventsourcing.event_store import AsyncEventStore, EventStore
from orchestrix.core.messaging.command_handler import CommandHandler
from orchestrix.core.messaging.message import Command, Event
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@dataclass(frozen=True, kw_only=True)
class OpenWallet(Command, type_name="typed_usage.OpenWallet"):
    wallet_id: str


@dataclass(frozen=True, kw_only=True)
class WalletOpened(Event, type_name="typed_usage.WalletOpened"):
    wallet_id: str


@dataclass(frozen=True, kw_only=True)
class CoinsAdded(Event, type_name="typed_usage.CoinsAdded"):
    amount: Decimal


@dataclass
class Wallet(AggregateRoot):
    coins: Decimal = Decimal(0)

    def add(self, amount: Decimal) -> None:
        self._apply_event(CoinsAdded(amount=amount))

    def _when_typed_usage_coins_added(self, event: CoinsAdded) -> None:
        self.coins += event.amount


@dataclass
class Voucher(AggregateRoot):
    code: str = ""


class OpenWalletHandler:
    """Satisfies `CommandHandler[OpenWallet]` structurally: no base class needed."""

    def __init__(self, bus: MessageBus, store: EventStore) -> None:
        self.bus = bus
        self.store = store

    def handle(self, command: OpenWallet) -> None:
        self._persist_and_publish(command.wallet_id, [WalletOpened(wallet_id=command.wallet_id)])

    def _persist_and_publish(self, aggregate_id: str, events: list[Event]) -> None:
        self.store.save(aggregate_id, events, expected_version=0)
        for event in events:
            self.bus.publish(event)


def handlers_are_typed_by_message_class(bus: InMemoryMessageBus, seen: list[str]) -> None:
    def on_opened(event: WalletOpened) -> None:
        seen.append(event.wallet_id)  # the attribute of this class: no cast needed

    def on_any_event(event: Event) -> None:
        seen.append(event.type)

    def on_coins(event: CoinsAdded) -> None:
        seen.append(str(event.amount))

    bus.subscribe(WalletOpened, on_opened)
    bus.subscribe(WalletOpened, on_any_event)  # a handler of a base class serves subclasses
    bus.subscribe(CoinsAdded, on_coins)


def the_repository_returns_the_aggregate_type(store: EventStore) -> Decimal:
    wallets = AggregateRepository[Wallet](event_store=store)
    wallet = Wallet(aggregate_id="W-1")
    wallet.add(Decimal("2.50"))
    wallets.save(wallet)
    loaded = wallets.load(Wallet, "W-1")
    assert_type(loaded, Wallet)
    return loaded.coins  # Decimal, known without a cast


async def async_code_has_the_same_types(store: AsyncEventStore) -> Sequence[RecordedEvent]:
    bus = InMemoryAsyncMessageBus()
    received: list[Decimal] = []

    async def on_coins(event: CoinsAdded) -> None:
        received.append(event.amount)

    bus.subscribe(CoinsAdded, on_coins)
    wallets = AggregateRepository[Wallet](event_store=store)
    wallet = Wallet(aggregate_id="W-2")
    wallet.add(Decimal(1))
    await wallets.save_async(wallet)
    loaded = await wallets.load_async(Wallet, "W-2")
    assert_type(loaded, Wallet)
    for event in loaded.uncommitted_events:
        await bus.publish(event)
    log = InMemoryAsyncEventStore()
    await log.save("W-2", [CoinsAdded(amount=Decimal(1))])
    return [recorded async for recorded in log.read_all()]


def mistakes_the_checker_catches(
    bus: InMemoryMessageBus, wallets: AggregateRepository[Wallet]
) -> None:
    """Never called: each line is an error mypy must report (see the module docstring)."""

    def on_opened(event: WalletOpened) -> None: ...

    def on_coins(event: CoinsAdded) -> None: ...

    bus.subscribe(Event, on_opened)  # type: ignore[arg-type]  # would get every event
    bus.subscribe(WalletOpened, on_coins)  # type: ignore[arg-type]  # the wrong class
    wallets.load(Voucher, "W-1")  # type: ignore[arg-type]  # a repository of wallets only
    wallets.save(Voucher(aggregate_id="V-1"))  # type: ignore[arg-type]
    print(wallets.load(Wallet, "W-1").code)  # type: ignore[attr-defined]  # a Wallet has no code


def main() -> None:
    handler: CommandHandler[OpenWallet]
    bus, store = InMemoryMessageBus(), InMemoryEventStore()
    handler = OpenWalletHandler(bus, store)
    seen: list[str] = []
    handlers_are_typed_by_message_class(bus, seen)
    handler.handle(OpenWallet(wallet_id="W-0"))
    assert "W-0" in seen
    assert the_repository_returns_the_aggregate_type(store) == Decimal("2.50")
    recorded = asyncio.run(async_code_has_the_same_types(InMemoryAsyncEventStore()))
    assert [entry.aggregate_id for entry in recorded] == ["W-2"]


if __name__ == "__main__":
    main()
