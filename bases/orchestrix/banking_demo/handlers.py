"""Command handlers and the module that wires them to a bus and a store."""

from __future__ import annotations

from decimal import Decimal

from orchestrix.banking_demo.aggregate import BankAccount
from orchestrix.banking_demo.models import (
    AccountOpened,
    DepositMoney,
    MoneyDeposited,
    MoneyWithdrawn,
    OpenAccount,
    WithdrawMoney,
)
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.message_bus import MessageBus


class AccountCommandHandler:
    """Loads the account, lets it decide, saves its events, then publishes them."""

    def __init__(self, bus: MessageBus, store: EventStore) -> None:
        self.bus = bus
        self.repository = AggregateRepository[BankAccount](event_store=store, snapshot_every=50)

    def handle_open(self, command: OpenAccount) -> None:
        account = BankAccount(aggregate_id=command.account_id)
        account.open(command.owner, command.initial_deposit, cause=command)
        self._commit(account)

    def handle_deposit(self, command: DepositMoney) -> None:
        account = self.repository.load(BankAccount, command.account_id)
        account.deposit(command.amount, cause=command)
        self._commit(account)

    def handle_withdraw(self, command: WithdrawMoney) -> None:
        account = self.repository.load(BankAccount, command.account_id)
        account.withdraw(command.amount, cause=command)
        self._commit(account)

    def _commit(self, account: BankAccount) -> None:
        events = list(account.uncommitted_events)
        self.repository.save(account)
        for event in events:
            self.bus.publish(event)


class BalanceReadModel:
    """A query-side view kept up to date by the events: balance per account."""

    def __init__(self) -> None:
        self.balances: dict[str, Decimal] = {}

    def on_opened(self, event: AccountOpened) -> None:
        self.balances[event.account_id] = event.initial_deposit

    def on_deposited(self, event: MoneyDeposited) -> None:
        self.balances[event.account_id] += event.amount

    def on_withdrawn(self, event: MoneyWithdrawn) -> None:
        self.balances[event.account_id] -= event.amount


class BankingModule:
    """Satisfies the Module protocol: one call wires the banking context."""

    def __init__(self) -> None:
        self.balances = BalanceReadModel()

    def register(self, bus: MessageBus, store: EventStore) -> None:
        handler = AccountCommandHandler(bus, store)
        bus.subscribe(OpenAccount, handler.handle_open)
        bus.subscribe(DepositMoney, handler.handle_deposit)
        bus.subscribe(WithdrawMoney, handler.handle_withdraw)
        bus.subscribe(AccountOpened, self.balances.on_opened)
        bus.subscribe(MoneyDeposited, self.balances.on_deposited)
        bus.subscribe(MoneyWithdrawn, self.balances.on_withdrawn)
