"""Where the shop keeps its events, sagas, process instances and deadlines.

Three backends offer the same four stores: process memory, a SQLite file (the embedded
default: the four stores share one file, each with tables of its own) and a PostgreSQL schema
(the four share the event store's connection pool; its migrations create every table). The
rest of the demo never knows which one it runs on.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.execution.deadline import DeadlineStore
from orchestrix.core.execution.memory_saga_store import InMemorySagaStateStore
from orchestrix.core.execution.process_instance import ProcessStateStore
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.deadline_store import InMemoryDeadlineStore
from orchestrix.infrastructure.memory.process_store import InMemoryProcessStateStore
from orchestrix.infrastructure.sqlite import (
    SQLiteAsyncEventStore,
    SQLiteDeadlineStore,
    SQLiteProcessStateStore,
    SQLiteSagaStateStore,
)


@dataclass(frozen=True)
class ShopStores:
    """The four stores of one backend, and a line saying where they are."""

    where: str
    events: AsyncEventStore
    sagas: SagaStateStore
    processes: ProcessStateStore
    deadlines: DeadlineStore


@asynccontextmanager
async def in_memory() -> AsyncIterator[ShopStores]:
    """Stores that live as long as the process: for tests and a quick look."""
    yield ShopStores(
        "in memory",
        InMemoryAsyncEventStore(),
        InMemorySagaStateStore(),
        InMemoryProcessStateStore(),
        InMemoryDeadlineStore(),
    )


@asynccontextmanager
async def in_sqlite(path: str | os.PathLike[str], where: str) -> AsyncIterator[ShopStores]:
    """The four stores in the SQLite file at `path`, created if needed, closed afterwards."""
    events = SQLiteAsyncEventStore(path)
    sagas = SQLiteSagaStateStore(path)
    processes = SQLiteProcessStateStore(path)
    deadlines = SQLiteDeadlineStore(path)
    opened = (events, sagas, processes, deadlines)
    try:
        for store in opened:
            await store.initialize()
        yield ShopStores(where, events, sagas, processes, deadlines)
    finally:
        for store in opened:
            await store.close()


@asynccontextmanager
async def in_postgres(dsn: str, schema: str) -> AsyncIterator[ShopStores]:
    """The four stores in `schema` of the database at `dsn`, migrated if needed."""
    # Imported here: asyncpg is needed only by those who choose PostgreSQL.
    from orchestrix.infrastructure.postgres import (
        PostgreSQLDeadlineStore,
        PostgreSQLEventStore,
        PostgreSQLProcessStateStore,
        PostgreSQLSagaStateStore,
    )

    events = PostgreSQLEventStore(dsn, pool_min_size=1, pool_max_size=4, schema=schema)
    await events.initialize()
    try:
        yield ShopStores(
            f"PostgreSQL, schema {schema!r} on {_server(dsn)}",
            # The cast: its `save` returns the checkpoint written, where the `AsyncEventStore`
            # protocol declares `None`, so mypy does not take it for one (it works as one).
            cast(AsyncEventStore, events),
            PostgreSQLSagaStateStore(events.pool, schema),
            PostgreSQLProcessStateStore(events.pool, schema),
            PostgreSQLDeadlineStore(events.pool, schema),
        )
    finally:
        await events.close()


def _server(dsn: str) -> str:
    """`host:port/database` of a DSN, without the user name or password."""
    parts = urlsplit(dsn)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname or 'localhost'}{port}{parts.path or '/'}"
