"""What the demo prints, in one process or in three: the accounts, the transfers as they
happen, and the read model at the end, checked against the accounts' own events."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.banking_demo.aggregate import BankAccount, Transfer
from orchestrix.banking_demo.ledger import AccountView, Entry, Ledger, TransferView
from orchestrix.banking_demo.models import (
    TransferCompleted,
    TransferCredited,
    TransferDebited,
    TransferFailed,
    TransferRefused,
    TransferRequested,
    TransferReturned,
)
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.messaging.message import Event

OPENING = {"Alice": Decimal("100.00"), "Bob": Decimal("50.00"), "Carol": Decimal("10.00")}
"""The customers, and what each opens an account with."""


@dataclass(frozen=True)
class Outcome:
    """How the story ended: the ids it used, the read model, the aggregates."""

    account_ids: dict[str, str]  # by owner
    transfer_ids: list[str]
    accounts: dict[str, AccountView]  # the read model, by owner
    histories: dict[str, list[Entry]]
    transfers: list[TransferView]
    aggregates: dict[str, BankAccount]  # each account rebuilt from its events, by owner
    transfer_records: list[Transfer]
    refused: Exception | None = None  # the withdrawal refused, when the story tries one


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def ids_for(run_id: str) -> tuple[dict[str, str], list[str]]:
    """The run's account ids by owner, and its two transfer ids: new on every run, so the
    same store can be used again."""
    accounts = {owner: f"ACC-{run_id}-{n}" for n, owner in enumerate(OPENING, start=1)}
    return accounts, [f"TR-{run_id}-1", f"TR-{run_id}-2"]


async def account(ledger: Ledger, account_id: str) -> AccountView:
    found = await ledger.account(account_id)
    assert found is not None, f"{account_id} is missing from the read model"
    return found


async def balance(ledger: Ledger, account_id: str) -> str:
    return money((await account(ledger, account_id)).balance)


class Narrator:
    """Tells the transfers' events as they are published, naming accounts by their owner."""

    def __init__(self, account_ids: dict[str, str]) -> None:
        self.owners = {account_id: owner for owner, account_id in account_ids.items()}

    def __call__(self, event: Event) -> None:
        name = self.owners.get
        match event:
            case TransferRequested(
                transfer_id=transfer, source=source, destination=destination, amount=amount
            ):
                said = f"requested: {money(amount)} from {name(source)} to {name(destination)}"
            case TransferDebited(transfer_id=transfer, account_id=account_id, amount=amount):
                said = f"{name(account_id)} debited {money(amount)}"
            case TransferCredited(transfer_id=transfer, account_id=account_id, amount=amount):
                said = f"{name(account_id)} credited {money(amount)}"
            case TransferRefused(transfer_id=transfer, account_id=account_id, reason=reason):
                said = f"{name(account_id)}'s account refused it: {reason}"
            case TransferReturned(transfer_id=transfer, account_id=account_id, amount=amount):
                said = f"{name(account_id)} re-credited {money(amount)}"
            case TransferCompleted(transfer_id=transfer):
                said = "completed"
            case TransferFailed(transfer_id=transfer, reason=reason):
                said = f"failed: {reason}"
            case _:
                return
        print(f"  {transfer} {said}")


def describe(transfer: TransferView) -> str:
    """`TR-1 completed`, `TR-2 failed (account ACC-3 is closed)`."""
    return f"{transfer.transfer_id} {transfer.status}" + (
        f" ({transfer.reason})" if transfer.reason else ""
    )


async def show_read_model(
    ledger: Ledger,
    events: AsyncEventStore,
    account_ids: dict[str, str],
    transfer_ids: list[str],
) -> Outcome:
    """Print each account's line and history from the read model, then check every balance
    against the account rebuilt from its own events."""
    accounts: dict[str, AccountView] = {}
    histories: dict[str, list[Entry]] = {}
    for owner, account_id in account_ids.items():
        view = accounts[owner] = await account(ledger, account_id)
        histories[owner] = await ledger.history(account_id)
        print(f"  {owner:<5}  {account_id}  {view.status:<6} {money(view.balance):>8}")
        for entry in histories[owner]:
            print(f"      {entry.what:<20} {entry.amount:>+8.2f} {entry.balance:>8.2f}")
    transfers = []
    for transfer_id in transfer_ids:
        found = await ledger.transfer(transfer_id)
        assert found is not None, f"{transfer_id} is missing from the read model"
        transfers.append(found)
    print(f"  Transfers: {'; '.join(map(describe, transfers))}")

    accounts_repository = AggregateRepository[BankAccount](event_store=events)
    transfers_repository = AggregateRepository[Transfer](event_store=events)
    aggregates = {
        owner: await accounts_repository.load_async(BankAccount, account_id)
        for owner, account_id in account_ids.items()
    }
    same = all(accounts[owner].balance == aggregates[owner].balance for owner in account_ids)
    print(f"  Every balance equals its account's own, rebuilt from its events: {same}")
    return Outcome(
        account_ids=account_ids,
        transfer_ids=transfer_ids,
        accounts=accounts,
        histories=histories,
        transfers=transfers,
        aggregates=aggregates,
        transfer_records=[await transfers_repository.load_async(Transfer, i) for i in transfer_ids],
    )
