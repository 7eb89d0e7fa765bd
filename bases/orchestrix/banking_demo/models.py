"""Commands and events of the banking demo."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.common.validation import validate_not_empty, validate_positive
from orchestrix.core.messaging.message import Command, Event


@dataclass(frozen=True, kw_only=True)
class OpenAccount(Command):
    account_id: str
    owner: str
    initial_deposit: Decimal

    def __post_init__(self) -> None:
        validate_not_empty(self.account_id, "account_id")
        validate_not_empty(self.owner, "owner")
        validate_positive(self.initial_deposit, "initial_deposit")


@dataclass(frozen=True, kw_only=True)
class DepositMoney(Command):
    account_id: str
    amount: Decimal

    def __post_init__(self) -> None:
        validate_positive(self.amount, "amount")


@dataclass(frozen=True, kw_only=True)
class WithdrawMoney(Command):
    account_id: str
    amount: Decimal

    def __post_init__(self) -> None:
        validate_positive(self.amount, "amount")


@dataclass(frozen=True, kw_only=True)
class AccountOpened(Event):
    account_id: str
    owner: str
    initial_deposit: Decimal


@dataclass(frozen=True, kw_only=True)
class MoneyDeposited(Event):
    account_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class MoneyWithdrawn(Event):
    account_id: str
    amount: Decimal
