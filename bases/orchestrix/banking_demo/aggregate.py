"""The bank account aggregate: business rules, state changed only through events."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.banking_demo.models import AccountOpened, MoneyDeposited, MoneyWithdrawn
from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.core.messaging.message import Command


class InsufficientFundsError(ValueError):
    """A withdrawal larger than the balance."""


@dataclass
class BankAccount(AggregateRoot):
    owner: str = ""
    balance: Decimal = Decimal(0)
    is_open: bool = False

    def open(self, owner: str, initial_deposit: Decimal, cause: Command) -> None:
        if self.is_open:
            raise ValueError(f"Account {self.aggregate_id} is already open")
        self._apply_event(
            AccountOpened.caused_by(
                cause, account_id=self.aggregate_id, owner=owner, initial_deposit=initial_deposit
            )
        )

    def deposit(self, amount: Decimal, cause: Command) -> None:
        self._apply_event(
            MoneyDeposited.caused_by(cause, account_id=self.aggregate_id, amount=amount)
        )

    def withdraw(self, amount: Decimal, cause: Command) -> None:
        if amount > self.balance:
            raise InsufficientFundsError(
                f"Cannot withdraw {amount} from {self.aggregate_id}: balance is {self.balance}"
            )
        self._apply_event(
            MoneyWithdrawn.caused_by(cause, account_id=self.aggregate_id, amount=amount)
        )

    def _when_account_opened(self, event: AccountOpened) -> None:
        self.owner = event.owner
        self.balance = event.initial_deposit
        self.is_open = True

    def _when_money_deposited(self, event: MoneyDeposited) -> None:
        self.balance += event.amount

    def _when_money_withdrawn(self, event: MoneyWithdrawn) -> None:
        self.balance -= event.amount
