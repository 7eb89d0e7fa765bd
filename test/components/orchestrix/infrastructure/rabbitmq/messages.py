"""Messages the broker tests publish; a module of its own so worker processes import them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.messaging.message import Command, Event


@dataclass(frozen=True, kw_only=True)
class DepositMoney(Command, type_name="rabbitmq_test.DepositMoney"):
    account_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class MoneyDeposited(Event, type_name="rabbitmq_test.MoneyDeposited"):
    account_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class AccountClosed(Event, type_name="rabbitmq_test.AccountClosed"):
    account_id: str
