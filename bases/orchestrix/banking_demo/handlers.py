"""Command handlers, and the module that wires them to a bus and a store.

Each handler loads an aggregate, lets it decide, saves the events it recorded and hands them
on. In one process they are handed on by publishing them on the bus, where the transfer
process hears them. In the distributed worker the store's transactional outbox publishes
them instead, and handing on only wakes its relay: the handlers are the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from orchestrix.banking_demo.aggregate import BankAccount, Transfer
from orchestrix.banking_demo.models import (
    CloseAccount,
    CompleteTransfer,
    CreditForTransfer,
    DebitForTransfer,
    DepositMoney,
    FailTransfer,
    OpenAccount,
    ReturnTransfer,
    TransferMoney,
    WithdrawMoney,
)
from orchestrix.core.common.exceptions import AggregateNotFoundError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.message_bus import AsyncMessageBus

type HandOn = Callable[[Sequence[Event]], Awaitable[None]]
"""What a handler does with the events it saved."""


class BankCommandHandler:
    """Load, decide, save, hand on: one method per command."""

    def __init__(self, store: AsyncEventStore, hand_on: HandOn) -> None:
        self.accounts = AggregateRepository[BankAccount](event_store=store)
        self.transfers = AggregateRepository[Transfer](event_store=store)
        self.hand_on = hand_on

    async def open(self, command: OpenAccount) -> None:
        try:
            account = await self.accounts.load_async(BankAccount, command.account_id)
        except AggregateNotFoundError:
            account = BankAccount(aggregate_id=command.account_id)
        account.open(command)  # refused if the account exists
        await self._commit(self.accounts, account)

    async def deposit(self, command: DepositMoney) -> None:
        await self._update(command.account_id, lambda account: account.deposit(command))

    async def withdraw(self, command: WithdrawMoney) -> None:
        await self._update(command.account_id, lambda account: account.withdraw(command))

    async def close(self, command: CloseAccount) -> None:
        await self._update(command.account_id, lambda account: account.close(command))

    async def debit(self, command: DebitForTransfer) -> None:
        await self._update(command.account_id, lambda account: account.debit_for_transfer(command))

    async def credit(self, command: CreditForTransfer) -> None:
        await self._update(command.account_id, lambda account: account.credit_for_transfer(command))

    async def give_back(self, command: ReturnTransfer) -> None:
        await self._update(command.account_id, lambda account: account.return_transfer(command))

    async def transfer(self, command: TransferMoney) -> None:
        """Record the request; the transfer process takes it from there. Both accounts must
        exist (AggregateNotFoundError otherwise), so the process never waits for a stranger."""
        for account_id in (command.source, command.destination):
            await self.accounts.load_async(BankAccount, account_id)
        try:
            transfer = await self.transfers.load_async(Transfer, command.transfer_id)
        except AggregateNotFoundError:
            transfer = Transfer(aggregate_id=command.transfer_id)
        transfer.request(command)  # refused if the transfer id was used before
        await self._commit(self.transfers, transfer)

    async def complete(self, command: CompleteTransfer) -> None:
        transfer = await self.transfers.load_async(Transfer, command.transfer_id)
        transfer.complete(command)
        await self._commit(self.transfers, transfer)

    async def fail(self, command: FailTransfer) -> None:
        transfer = await self.transfers.load_async(Transfer, command.transfer_id)
        transfer.fail(command)
        await self._commit(self.transfers, transfer)

    async def _update(self, account_id: str, decide: Callable[[BankAccount], None]) -> None:
        account = await self.accounts.load_async(BankAccount, account_id)
        decide(account)
        await self._commit(self.accounts, account)

    async def _commit[A: AggregateRoot](
        self, repository: AggregateRepository[A], aggregate: A
    ) -> None:
        events = list(aggregate.uncommitted_events)
        await repository.save_async(aggregate)
        if events:
            await self.hand_on(events)


class BankingModule:
    """Wires the command handlers to a bus (the Module pattern of seed 000, on an async bus).

    Without `hand_on`, saved events are published on that bus.
    """

    def __init__(self, hand_on: HandOn | None = None) -> None:
        self.hand_on = hand_on

    def register(self, bus: AsyncMessageBus, store: AsyncEventStore) -> None:
        async def publish(events: Sequence[Event]) -> None:
            for event in events:
                await bus.publish(event)

        handler = BankCommandHandler(store, self.hand_on or publish)
        bus.subscribe(OpenAccount, handler.open)
        bus.subscribe(DepositMoney, handler.deposit)
        bus.subscribe(WithdrawMoney, handler.withdraw)
        bus.subscribe(CloseAccount, handler.close)
        bus.subscribe(TransferMoney, handler.transfer)
        bus.subscribe(DebitForTransfer, handler.debit)
        bus.subscribe(CreditForTransfer, handler.credit)
        bus.subscribe(ReturnTransfer, handler.give_back)
        bus.subscribe(CompleteTransfer, handler.complete)
        bus.subscribe(FailTransfer, handler.fail)
