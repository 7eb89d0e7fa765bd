"""Banking demo, top to bottom: open an account, move money, survive a restart.

Run it with `python -m orchestrix.banking_demo [--db PATH]`. Events are kept in SQLite, the
embedded default store; without `--db` the database lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

from orchestrix.banking_demo.aggregate import BankAccount
from orchestrix.banking_demo.handlers import BankingModule
from orchestrix.banking_demo.models import DepositMoney, OpenAccount, WithdrawMoney
from orchestrix.core.common.exceptions import ConcurrencyError, HandlerError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore


def run(db_path: Path) -> Decimal:
    """Play the demo against the database at `db_path`; returns the final balance."""
    account_id = f"ACC-{uuid.uuid4().hex[:6].upper()}"

    # 1. Wire the banking module to a message bus and a durable event store.
    with SQLiteEventStore(db_path) as store:
        bus = InMemoryMessageBus()
        banking = BankingModule()
        banking.register(bus, store)

        # 2. Commands go through the bus; handlers let the aggregate decide and store events.
        bus.publish(
            OpenAccount(account_id=account_id, owner="Alice", initial_deposit=Decimal("100.00"))
        )
        bus.publish(DepositMoney(account_id=account_id, amount=Decimal("50.25")))
        bus.publish(WithdrawMoney(account_id=account_id, amount=Decimal("30.00")))
        balance = banking.balances.balances[account_id]
        print(f"Opened {account_id} for Alice; read model balance: {balance}")

        # 3. A rule violation is never silent: the bus reports which handler failed and why.
        try:
            bus.publish(WithdrawMoney(account_id=account_id, amount=Decimal("1000.00")))
        except HandlerError as error:
            print(f"Rejected: {error.original_error}")

        # 4. Optimistic concurrency: two writers loaded version 3; only the first may commit.
        repository = AggregateRepository[BankAccount](event_store=store)
        first = repository.load(BankAccount, account_id)
        second = repository.load(BankAccount, account_id)
        first.deposit(Decimal("1.00"), cause=DepositMoney(account_id=account_id, amount=Decimal(1)))
        second.deposit(
            Decimal("2.00"), cause=DepositMoney(account_id=account_id, amount=Decimal(2))
        )
        repository.save(first)
        try:
            repository.save(second)
        except ConcurrencyError as error:
            print(f"Second writer refused: {error}")

    # 5. A new process (here: a new store) rebuilds the account from its stored events.
    with SQLiteEventStore(db_path) as reopened:
        account = AggregateRepository[BankAccount](event_store=reopened).load(
            BankAccount, account_id
        )
        history = reopened.load(account_id)
    print(f"After reopening: {account.owner} has {account.balance} (version {account.version})")
    for number, event in enumerate(history, start=1):
        amount = getattr(event, "amount", None) or getattr(event, "initial_deposit", "")
        print(f"  {number}. {event.type} {amount}")
    return account.balance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file to keep the events in")
    arguments = parser.parse_args()
    if arguments.db is not None:
        run(arguments.db)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "banking.sqlite3")


if __name__ == "__main__":
    main()
