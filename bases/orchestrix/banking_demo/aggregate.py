"""The two aggregates: a bank account, and a transfer between two accounts.

Every rule is here; state changes only through events, whether they are new or replayed from
the store. An account takes part in a transfer through its own commands (debit, credit,
return), and records a refusal as an event rather than raising it, so the transfer process
hears about it. Each of those is applied once per transfer: the process sends its commands at
least once, and a repeat must change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from orchestrix.banking_demo.models import (
    AccountClosed,
    AccountOpened,
    CloseAccount,
    CompleteTransfer,
    CreditForTransfer,
    DebitForTransfer,
    DepositMoney,
    FailTransfer,
    MoneyDeposited,
    MoneyWithdrawn,
    OpenAccount,
    ReturnTransfer,
    TransferCompleted,
    TransferCredited,
    TransferDebited,
    TransferFailed,
    TransferMoney,
    TransferRefused,
    TransferRequested,
    TransferReturned,
    WithdrawMoney,
)
from orchestrix.core.eventsourcing.aggregate import AggregateRoot


class BankingError(ValueError):
    """A command the bank refuses; the message says why."""


class InsufficientFundsError(BankingError):
    """A withdrawal larger than the balance."""


class AccountStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class BankAccount(AggregateRoot):
    owner: str = ""
    balance: Decimal = Decimal("0.00")
    status: AccountStatus = AccountStatus.NEW
    transfers: frozenset[str] = frozenset()  # transfers debited, credited or refused here
    returned: frozenset[str] = frozenset()  # transfers whose debit was given back

    def open(self, command: OpenAccount) -> None:
        if self.status is not AccountStatus.NEW:
            raise BankingError(f"Account {self.aggregate_id} exists already")
        self._apply_event(
            AccountOpened.caused_by(
                command,
                account_id=self.aggregate_id,
                owner=command.owner,
                initial_deposit=command.initial_deposit,
            )
        )

    def deposit(self, command: DepositMoney) -> None:
        self._require_open()
        self._apply_event(
            MoneyDeposited.caused_by(command, account_id=self.aggregate_id, amount=command.amount)
        )

    def withdraw(self, command: WithdrawMoney) -> None:
        self._require_open()
        shortfall = self._shortfall(command.amount)
        if shortfall:
            raise InsufficientFundsError(shortfall)
        self._apply_event(
            MoneyWithdrawn.caused_by(command, account_id=self.aggregate_id, amount=command.amount)
        )

    def close(self, command: CloseAccount) -> None:
        self._require_open()
        if self.balance:
            raise BankingError(
                f"Cannot close {self.aggregate_id}: it holds {self.balance}; withdraw it first"
            )
        self._apply_event(AccountClosed.caused_by(command, account_id=self.aggregate_id))

    def debit_for_transfer(self, command: DebitForTransfer) -> None:
        if command.transfer_id in self.transfers:
            return
        reason = self._closed() or self._shortfall(command.amount)
        if reason:
            self._refuse(command.transfer_id, reason, command)
            return
        self._apply_event(
            TransferDebited.caused_by(
                command,
                account_id=self.aggregate_id,
                transfer_id=command.transfer_id,
                amount=command.amount,
                destination=command.destination,
            )
        )

    def credit_for_transfer(self, command: CreditForTransfer) -> None:
        if command.transfer_id in self.transfers:
            return
        reason = self._closed()
        if reason:
            self._refuse(command.transfer_id, reason, command)
            return
        self._apply_event(
            TransferCredited.caused_by(
                command,
                account_id=self.aggregate_id,
                transfer_id=command.transfer_id,
                amount=command.amount,
                source=command.source,
            )
        )

    def return_transfer(self, command: ReturnTransfer) -> None:
        """Accepted even if the account was closed meanwhile: the money must come back."""
        if command.transfer_id in self.returned:
            return
        self._apply_event(
            TransferReturned.caused_by(
                command,
                account_id=self.aggregate_id,
                transfer_id=command.transfer_id,
                amount=command.amount,
            )
        )

    def _require_open(self) -> None:
        reason = self._closed()
        if reason:
            raise BankingError(reason)

    def _closed(self) -> str:
        """Why the account takes no money now, or "" when it does."""
        if self.status is AccountStatus.CLOSED:
            return f"account {self.aggregate_id} is closed"
        if self.status is AccountStatus.NEW:
            return f"account {self.aggregate_id} is not open"
        return ""

    def _shortfall(self, amount: Decimal) -> str:
        if amount <= self.balance:
            return ""
        return f"Cannot withdraw {amount} from {self.aggregate_id}: balance is {self.balance}"

    def _refuse(
        self, transfer_id: str, reason: str, command: DebitForTransfer | CreditForTransfer
    ) -> None:
        self._apply_event(
            TransferRefused.caused_by(
                command, account_id=self.aggregate_id, transfer_id=transfer_id, reason=reason
            )
        )

    def _when_account_opened(self, event: AccountOpened) -> None:
        self.owner = event.owner
        self.balance = event.initial_deposit
        self.status = AccountStatus.OPEN

    def _when_money_deposited(self, event: MoneyDeposited) -> None:
        self.balance += event.amount

    def _when_money_withdrawn(self, event: MoneyWithdrawn) -> None:
        self.balance -= event.amount

    def _when_account_closed(self, event: AccountClosed) -> None:
        self.status = AccountStatus.CLOSED

    def _when_transfer_debited(self, event: TransferDebited) -> None:
        self.balance -= event.amount
        self.transfers |= {event.transfer_id}

    def _when_transfer_credited(self, event: TransferCredited) -> None:
        self.balance += event.amount
        self.transfers |= {event.transfer_id}

    def _when_transfer_refused(self, event: TransferRefused) -> None:
        self.transfers |= {event.transfer_id}

    def _when_transfer_returned(self, event: TransferReturned) -> None:
        self.balance += event.amount
        self.returned |= {event.transfer_id}


class TransferStatus(StrEnum):
    NEW = "new"
    REQUESTED = "requested"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass
class Transfer(AggregateRoot):
    """The record of one transfer: what was asked, and how it ended."""

    source: str = ""
    destination: str = ""
    amount: Decimal = Decimal("0.00")
    status: TransferStatus = TransferStatus.NEW
    reason: str = ""

    def request(self, command: TransferMoney) -> None:
        if self.status is not TransferStatus.NEW:
            raise BankingError(f"Transfer {self.aggregate_id} exists already")
        self._apply_event(
            TransferRequested.caused_by(
                command,
                transfer_id=self.aggregate_id,
                source=command.source,
                destination=command.destination,
                amount=command.amount,
            )
        )

    def complete(self, command: CompleteTransfer) -> None:
        if self._ended():
            return
        self._apply_event(TransferCompleted.caused_by(command, transfer_id=self.aggregate_id))

    def fail(self, command: FailTransfer) -> None:
        if self._ended():
            return
        self._apply_event(
            TransferFailed.caused_by(command, transfer_id=self.aggregate_id, reason=command.reason)
        )

    def _ended(self) -> bool:
        """Whether the outcome is recorded; the process may send its last command twice."""
        return self.status in (TransferStatus.COMPLETED, TransferStatus.FAILED)

    def _when_transfer_requested(self, event: TransferRequested) -> None:
        self.source = event.source
        self.destination = event.destination
        self.amount = event.amount
        self.status = TransferStatus.REQUESTED

    def _when_transfer_completed(self, event: TransferCompleted) -> None:
        self.status = TransferStatus.COMPLETED

    def _when_transfer_failed(self, event: TransferFailed) -> None:
        self.status = TransferStatus.FAILED
        self.reason = event.reason
