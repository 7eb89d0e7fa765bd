"""Banking demo, top to bottom: accounts, transfers and a read model kept by a projection.

A transfer process debits the source, credits the destination, and gives the money back when
the destination refuses it. Run it with `python -m orchestrix.banking_demo`. Everything is
kept in SQLite by default, in a temporary file unless `--db FILE` names one; `--store memory`
keeps it in memory, and `--store postgres --dsn postgresql://...` in PostgreSQL (schema
`--schema`, default `banking_demo`). `--distributed` runs it as three processes over RabbitMQ
and PostgreSQL (see `distributed.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from orchestrix.banking_demo.bank import Bank, open_bank
from orchestrix.banking_demo.distributed import add_distributed_arguments, run_distributed
from orchestrix.banking_demo.models import (
    CloseAccount,
    DepositMoney,
    OpenAccount,
    TransferMoney,
    WithdrawMoney,
)
from orchestrix.banking_demo.projection import PROJECTION
from orchestrix.banking_demo.stores import BankStores, in_memory, in_postgres, in_sqlite
from orchestrix.banking_demo.story import (
    OPENING,
    Narrator,
    Outcome,
    account,
    balance,
    ids_for,
    show_read_model,
)
from orchestrix.core.common.exceptions import HandlerError, StoreError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command

IN_A_TEMPORARY_FILE = "SQLite, in a temporary file (--db FILE keeps it)"


async def run(stores: BankStores) -> Outcome:
    """Play the story on `stores`; returns how it ended."""
    ids, transfer_ids = ids_for(uuid.uuid4().hex[:8])
    alice, bob, carol = ids["Alice"], ids["Bob"], ids["Carol"]
    print("Banking demo: accounts, a transfer process manager, a read model kept by a projection.")
    print(f"Stores: {stores.where}")

    async with open_bank(stores, Narrator(ids)) as bank:
        ledger = bank.ledger
        print("\n1. Three customers open accounts; the read model shows each at once:")
        for owner, account_id in ids.items():
            await bank.execute(
                OpenAccount(account_id=account_id, owner=owner, initial_deposit=OPENING[owner])
            )
            print(f"  {owner:<5}  {account_id}  balance {await balance(ledger, account_id)}")

        print("\n2. Deposits and withdrawals, each read back from the read model at once:")
        await bank.execute(DepositMoney(account_id=alice, amount=Decimal("50.25")))
        print(f"  Alice deposits 50.25: balance {await balance(ledger, alice)}")
        await bank.execute(WithdrawMoney(account_id=bob, amount=Decimal("20.00")))
        print(f"  Bob withdraws 20.00: balance {await balance(ledger, bob)}")
        refused = await refusal(bank, WithdrawMoney(account_id=bob, amount=Decimal("500.00")))
        print(f"  Bob withdraws 500.00: refused: {refused}")

        print("\n3. Alice sends Bob 70.00; the transfer process debits Alice, then credits Bob:")
        await bank.execute(
            TransferMoney(
                transfer_id=transfer_ids[0], source=alice, destination=bob, amount=Decimal("70.00")
            )
        )
        print(
            f"  read model: Alice {await balance(ledger, alice)}, Bob {await balance(ledger, bob)}"
        )

        print("\n4. Carol empties and closes her account; then Bob sends her 25.00:")
        await bank.execute(WithdrawMoney(account_id=carol, amount=OPENING["Carol"]))
        await bank.execute(CloseAccount(account_id=carol))
        print(f"  read model: Carol's account is {(await account(ledger, carol)).status}")
        await bank.execute(
            TransferMoney(
                transfer_id=transfer_ids[1], source=bob, destination=carol, amount=Decimal("25.00")
            )
        )
        print(f"  read model: Bob {await balance(ledger, bob)}")

        delivery = "exactly once" if stores.checkpoints.exactly_once else "at least once"
        print(f"\n5. The read model, kept by the projection {PROJECTION} ({delivery}):")
        outcome = await show_read_model(ledger, stores.events, ids, transfer_ids)
        lag = await bank.projection.lag()
        print(f"  Projection lag: {lag.events} events")
    return replace(outcome, refused=refused)


async def refusal(bank: Bank, command: Command) -> Exception:
    """The error the command's handler refused it with (the bus reports it as HandlerError)."""
    try:
        await bank.execute(command)
    except HandlerError as error:
        original = error.original_error
        return original if isinstance(original, Exception) else error
    raise AssertionError(f"{command.type} was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--store", choices=("memory", "sqlite", "postgres"), default="sqlite", help="backend"
    )
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--dsn", help="PostgreSQL DSN, postgresql://user@host:port/database")
    parser.add_argument(
        "--schema",
        help="PostgreSQL schema (default: banking_demo; distributed: banking_distributed)",
    )
    add_distributed_arguments(parser)
    arguments = parser.parse_args()
    if arguments.distributed:
        run_distributed(parser, arguments)
        return
    if arguments.role is not None:
        parser.error("--role is for --distributed")
    if arguments.db is not None and arguments.store != "sqlite":
        parser.error("--db is for --store sqlite")
    if (arguments.dsn is not None) != (arguments.store == "postgres"):
        parser.error("--store postgres needs --dsn, and --dsn is only for --store postgres")
    try:
        asyncio.run(_run_on(arguments))
    except (StoreError, ValidationError) as error:  # a database it cannot use: no traceback
        parser.exit(1, f"{parser.prog}: {error}\n")
    except ImportError as missing:
        if missing.name != "asyncpg":
            raise
        parser.exit(1, f"{parser.prog}: {missing}\n")


async def _run_on(arguments: argparse.Namespace) -> None:
    async with AsyncExitStack() as stack:
        opened: AbstractAsyncContextManager[BankStores]
        if arguments.store == "memory":
            opened = in_memory()
        elif arguments.store == "postgres":
            opened = in_postgres(arguments.dsn, arguments.schema or "banking_demo")
        elif arguments.db is not None:
            opened = in_sqlite(arguments.db, f"SQLite file {str(arguments.db)!r}")
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            opened = in_sqlite(Path(folder) / "bank.sqlite3", IN_A_TEMPORARY_FILE)
        await run(await stack.enter_async_context(opened))


if __name__ == "__main__":
    main()
