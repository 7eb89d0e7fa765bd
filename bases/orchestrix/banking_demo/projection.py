"""The `bank-ledger` projection: the events of the global log, turned into the ledger's rows.

A `ProjectionEngine` routes each event to its handler; a `ProjectionRunner` (built where the
stores are chosen, `stores.py`) feeds it from the event store's log, catching up from the
checkpoint and then following new events. Handlers write through `context.connection`: the
transaction that also moves the checkpoint, so a row is written exactly once even when the
process dies mid-batch.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orchestrix.banking_demo.ledger import Ledger, to_cents
from orchestrix.banking_demo.models import (
    AccountClosed,
    AccountOpened,
    MoneyDeposited,
    MoneyWithdrawn,
    TransferCompleted,
    TransferCredited,
    TransferDebited,
    TransferFailed,
    TransferRequested,
    TransferReturned,
)
from orchestrix.core.eventsourcing.checkpoint import CheckpointStore
from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine

PROJECTION = "bank-ledger"

type Context = ProjectionContext[Any]


def ledger_projection(checkpoints: CheckpointStore, ledger: Ledger) -> ProjectionEngine:
    """The engine of the `bank-ledger` projection, writing `ledger`'s tables."""
    engine = ProjectionEngine(PROJECTION, checkpoints)
    tables = ledger.tables

    @engine.on_reset
    async def empty(connection: Any) -> None:
        await ledger.reset(ledger.writing(connection))

    async def book(
        context: Context,
        account_id: str,
        kind: str,
        amount: Decimal,
        *,
        transfer_id: str | None = None,
        counterparty: str | None = None,
    ) -> None:
        """A line in the account's history, and its new balance."""
        sql = ledger.writing(context.connection)
        ((balance,),) = await sql.fetch(
            f"UPDATE {tables.accounts} SET balance_cents = balance_cents + $2 "
            "WHERE account_id = $1 RETURNING balance_cents",
            account_id,
            to_cents(amount),
        )
        await sql.execute(
            f"INSERT INTO {tables.history} VALUES ($1, $2, $3, $4, $5, $6, $7)",
            context.position,
            account_id,
            kind,
            to_cents(amount),
            balance,
            transfer_id,
            counterparty,
        )

    @engine.on(AccountOpened)
    async def opened(event: AccountOpened, context: Context) -> None:
        await ledger.writing(context.connection).execute(
            f"INSERT INTO {tables.accounts} VALUES ($1, $2, 0, 'open')",
            event.account_id,
            event.owner,
        )
        await book(context, event.account_id, "opened", event.initial_deposit)

    @engine.on(MoneyDeposited)
    async def deposited(event: MoneyDeposited, context: Context) -> None:
        await book(context, event.account_id, "deposit", event.amount)

    @engine.on(MoneyWithdrawn)
    async def withdrawn(event: MoneyWithdrawn, context: Context) -> None:
        await book(context, event.account_id, "withdrawal", -event.amount)

    @engine.on(AccountClosed)
    async def closed(event: AccountClosed, context: Context) -> None:
        await ledger.writing(context.connection).execute(
            f"UPDATE {tables.accounts} SET status = 'closed' WHERE account_id = $1",
            event.account_id,
        )

    @engine.on(TransferRequested)
    async def requested(event: TransferRequested, context: Context) -> None:
        await ledger.writing(context.connection).execute(
            f"INSERT INTO {tables.transfers} VALUES ($1, $2, $3, $4, 'requested', NULL)",
            event.transfer_id,
            event.source,
            event.destination,
            to_cents(event.amount),
        )

    @engine.on(TransferDebited)
    async def debited(event: TransferDebited, context: Context) -> None:
        await book(
            context,
            event.account_id,
            "transfer out",
            -event.amount,
            transfer_id=event.transfer_id,
            counterparty=event.destination,
        )

    @engine.on(TransferCredited)
    async def credited(event: TransferCredited, context: Context) -> None:
        await book(
            context,
            event.account_id,
            "transfer in",
            event.amount,
            transfer_id=event.transfer_id,
            counterparty=event.source,
        )

    @engine.on(TransferReturned)
    async def returned(event: TransferReturned, context: Context) -> None:
        await book(
            context,
            event.account_id,
            "transfer returned",
            event.amount,
            transfer_id=event.transfer_id,
        )

    @engine.on(TransferCompleted)
    async def completed(event: TransferCompleted, context: Context) -> None:
        await ledger.writing(context.connection).execute(
            f"UPDATE {tables.transfers} SET status = 'completed' WHERE transfer_id = $1",
            event.transfer_id,
        )

    @engine.on(TransferFailed)
    async def failed(event: TransferFailed, context: Context) -> None:
        await ledger.writing(context.connection).execute(
            f"UPDATE {tables.transfers} SET status = 'failed', reason = $2 WHERE transfer_id = $1",
            event.transfer_id,
            event.reason,
        )

    return engine
