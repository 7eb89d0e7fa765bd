"""Where the bank keeps things, on each backend: events, transfer processes, the read model and
its checkpoint, and what a projection runner needs to follow the log.

- memory: everything in process memory (the read model in an in-memory SQLite database); the
  checkpoint dies with the model, so at-least-once delivery is all it needs;
- SQLite, the embedded default: one file for everything, the read model's tables beside the
  checkpoint, written in its transaction (exactly once);
- PostgreSQL: one schema, likewise exactly once, with notifications waking the projection.

The rest of the demo never knows which one it runs on.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from orchestrix.banking_demo.ledger import Ledger, PostgreSQLLedger, SQLiteLedger
from orchestrix.banking_demo.projection import PROJECTION, ledger_projection
from orchestrix.core.eventsourcing.checkpoint import CheckpointStore
from orchestrix.core.eventsourcing.event_log import AsyncEventLog
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.eventsourcing.subscription_lag import LogHead, ScanningLogHead
from orchestrix.core.eventsourcing.subscription_wake_up import LocalWakeUp, WakeUp
from orchestrix.core.execution.process_instance import ProcessStateStore
from orchestrix.infrastructure.memory import (
    InMemoryAsyncEventStore,
    InMemoryCheckpointStore,
    InMemoryProcessStateStore,
)
from orchestrix.infrastructure.sqlite import (
    SQLiteAsyncEventStore,
    SQLiteCheckpointStore,
    SQLiteLogHead,
    SQLiteProcessStateStore,
)

if TYPE_CHECKING:
    from orchestrix.infrastructure.postgres import PostgreSQLOutbox


class LoggedEventStore(AsyncEventStore, AsyncEventLog, Protocol):
    """An event store whose global log a projection can follow: every async store is one."""


@dataclass(frozen=True)
class BankStores:
    """The stores of one backend, and a line saying where they are."""

    where: str
    events: LoggedEventStore
    processes: ProcessStateStore
    checkpoints: CheckpointStore
    ledger: Ledger
    head: LogHead
    wake_up: WakeUp
    outbox: PostgreSQLOutbox | None = None  # PostgreSQL only: what the distributed worker relays

    def ledger_runner(self, *, exclusive: bool = False) -> ProjectionRunner:
        """A runner of the `bank-ledger` projection on these stores; `exclusive` makes it
        take the projection's lock, so only one process projects (the others stand by)."""
        engine = ledger_projection(self.checkpoints, self.ledger)
        return ProjectionRunner(
            engine,
            self.events,
            wake_up=self.wake_up,
            head=self.head,
            lock=self.checkpoints.lock(PROJECTION) if exclusive else None,
        )


@asynccontextmanager
async def in_memory() -> AsyncIterator[BankStores]:
    events = InMemoryAsyncEventStore()
    ledger = SQLiteLedger(":memory:")
    await ledger.create()
    try:
        yield BankStores(
            "in memory",
            events,
            InMemoryProcessStateStore(),
            InMemoryCheckpointStore(),
            ledger,
            ScanningLogHead(events),
            LocalWakeUp(),
        )
    finally:
        await ledger.close()


@asynccontextmanager
async def in_sqlite(path: str | os.PathLike[str], where: str) -> AsyncIterator[BankStores]:
    """Everything in the SQLite file at `path`, created if needed, closed afterwards."""
    async with AsyncExitStack() as opened:
        events = await opened.enter_async_context(SQLiteAsyncEventStore(path))
        processes = await opened.enter_async_context(SQLiteProcessStateStore(path))
        checkpoints = await opened.enter_async_context(SQLiteCheckpointStore(path))
        head = await opened.enter_async_context(SQLiteLogHead(path))
        ledger = SQLiteLedger(os.fspath(path))
        opened.push_async_callback(ledger.close)
        await ledger.create()
        yield BankStores(where, events, processes, checkpoints, ledger, head, LocalWakeUp())


@asynccontextmanager
async def in_postgres(dsn: str, schema: str) -> AsyncIterator[BankStores]:
    """Everything in `schema` of the database at `dsn`, migrated if needed."""
    # Imported here: asyncpg is needed only by those who choose PostgreSQL.
    from orchestrix.infrastructure.postgres import (
        PostgreSQLCheckpointStore,
        PostgreSQLEventStore,
        PostgreSQLLogHead,
        PostgreSQLOutbox,
        PostgreSQLProcessStateStore,
        PostgreSQLWakeUp,
    )

    async with PostgreSQLEventStore(dsn, pool_min_size=1, pool_max_size=4, schema=schema) as events:
        ledger = PostgreSQLLedger(events.pool, schema)
        await ledger.create()
        yield BankStores(
            f"PostgreSQL, schema {schema!r}",
            events,
            PostgreSQLProcessStateStore(events.pool, schema),
            PostgreSQLCheckpointStore(events.pool, schema),
            ledger,
            PostgreSQLLogHead(events.pool, schema),
            PostgreSQLWakeUp(events.pool, schema),
            PostgreSQLOutbox(events.pool, schema),
        )
