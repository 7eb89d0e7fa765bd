"""Commands and events of the banking demo.

Money is a `Decimal` with at most two decimal places, checked when a command is built, so an
invalid amount never reaches an account. The first five commands are what customers ask for;
the next five are what the transfer process asks of the accounts and of the transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.common.validation import (
    ValidationError,
    validate_not_empty,
    validate_positive,
)
from orchestrix.core.messaging.message import Command, Event

CENT = Decimal("0.01")


def validate_amount(value: object, field: str) -> None:
    """A positive `Decimal` of whole cents: `Decimal("10.50")`, never `10.5` or `0.001`."""
    if not isinstance(value, Decimal):
        raise ValidationError(f"{field} must be a Decimal", field, value)
    validate_positive(value, field)
    if value != value.quantize(CENT):
        raise ValidationError(f"{field} must be whole cents", field, value)


# --- what customers ask -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenAccount(Command):
    account_id: str
    owner: str
    initial_deposit: Decimal

    def __post_init__(self) -> None:
        validate_not_empty(self.account_id, "account_id")
        validate_not_empty(self.owner, "owner")
        validate_amount(self.initial_deposit, "initial_deposit")


@dataclass(frozen=True, kw_only=True)
class DepositMoney(Command):
    account_id: str
    amount: Decimal

    def __post_init__(self) -> None:
        validate_amount(self.amount, "amount")


@dataclass(frozen=True, kw_only=True)
class WithdrawMoney(Command):
    account_id: str
    amount: Decimal

    def __post_init__(self) -> None:
        validate_amount(self.amount, "amount")


@dataclass(frozen=True, kw_only=True)
class CloseAccount(Command):
    account_id: str


@dataclass(frozen=True, kw_only=True)
class TransferMoney(Command):
    transfer_id: str
    source: str
    destination: str
    amount: Decimal

    def __post_init__(self) -> None:
        validate_not_empty(self.transfer_id, "transfer_id")
        validate_amount(self.amount, "amount")
        if self.source == self.destination:
            raise ValidationError(
                "destination must differ from source", "destination", self.destination
            )


# --- what the transfer process asks -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DebitForTransfer(Command):
    account_id: str
    transfer_id: str
    amount: Decimal
    destination: str


@dataclass(frozen=True, kw_only=True)
class CreditForTransfer(Command):
    account_id: str
    transfer_id: str
    amount: Decimal
    source: str


@dataclass(frozen=True, kw_only=True)
class ReturnTransfer(Command):
    """Give a debited amount back to the source: the transfer's compensation."""

    account_id: str
    transfer_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class CompleteTransfer(Command):
    transfer_id: str


@dataclass(frozen=True, kw_only=True)
class FailTransfer(Command):
    transfer_id: str
    reason: str


# --- what happened to an account ----------------------------------------------------------


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


@dataclass(frozen=True, kw_only=True)
class AccountClosed(Event):
    account_id: str


@dataclass(frozen=True, kw_only=True)
class TransferDebited(Event):
    account_id: str
    transfer_id: str
    amount: Decimal
    destination: str


@dataclass(frozen=True, kw_only=True)
class TransferCredited(Event):
    account_id: str
    transfer_id: str
    amount: Decimal
    source: str


@dataclass(frozen=True, kw_only=True)
class TransferRefused(Event):
    """The account could not take its part in the transfer (closed, or short of money)."""

    account_id: str
    transfer_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class TransferReturned(Event):
    account_id: str
    transfer_id: str
    amount: Decimal


# --- what happened to a transfer ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TransferRequested(Event):
    transfer_id: str
    source: str
    destination: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class TransferCompleted(Event):
    transfer_id: str


@dataclass(frozen=True, kw_only=True)
class TransferFailed(Event):
    transfer_id: str
    reason: str


TRANSFER_EVENTS: tuple[type[Event], ...] = (
    TransferRequested,
    TransferDebited,
    TransferCredited,
    TransferRefused,
    TransferReturned,
    TransferCompleted,
    TransferFailed,
)
"""Every event a transfer goes through, whichever stream it is stored in."""
