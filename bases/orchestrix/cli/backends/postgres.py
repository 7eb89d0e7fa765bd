"""The PostgreSQL side of the commands: the schema's version, migrating, opening the store.

Imported only when a command uses PostgreSQL, since it needs the asyncpg driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from orchestrix.cli.backends import Projections, ReadableStore
from orchestrix.cli.errors import CliError
from orchestrix.cli.schema import PendingMigration, SchemaPlan
from orchestrix.cli.store_choice import StoreChoice
from orchestrix.core.common.exceptions import OrchestrixError
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.infrastructure.postgres.checkpoint_store import PostgreSQLCheckpointStore
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.log_head import PostgreSQLLogHead
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.schema import (
    MIGRATIONS,
    applied_versions,
    migrate_database,
)
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore


async def schema_plan(store: StoreChoice) -> SchemaPlan:
    """The schema's version and missing migrations, read without creating anything."""
    async with _connection(store) as pool:
        applied = await applied_versions(pool, store.schema)
    pending = tuple(
        PendingMigration(migration.version, migration.name, migration.sql.strip().rstrip(";"))
        for migration in MIGRATIONS
        if migration.version not in applied
    )
    return SchemaPlan(max(applied, default=0), len(MIGRATIONS), pending)


async def migrate(store: StoreChoice) -> list[int]:
    """Apply the missing migrations, as every store's `initialize()` does."""
    try:
        return await migrate_database(store.dsn, store.schema)
    except ValueError as error:  # the driver rejects a malformed DSN this way
        raise CliError(f"Invalid PostgreSQL DSN: {error}") from error


def open_event_store(store: StoreChoice) -> AbstractAsyncContextManager[ReadableStore]:
    """A PostgreSQL store with a small pool (`async with` opens and closes it)."""
    return PostgreSQLEventStore(store.dsn, 1, 2, schema=store.schema)


@asynccontextmanager
async def open_projections(
    store: StoreChoice, checkpoints: str | None
) -> AsyncIterator[Projections]:
    """The store, its head and its checkpoints, on one pool (a rebuild's lock has its own
    connection, its reader and its transactions one each from the pool)."""
    if checkpoints is not None:
        raise CliError(
            "--checkpoints names a SQLite file; on PostgreSQL the checkpoints are in --schema"
        )
    async with PostgreSQLEventStore(store.dsn, 1, 3, schema=store.schema) as opened:
        yield Projections(
            opened,
            PostgreSQLLogHead(opened.pool, store.schema),
            PostgreSQLCheckpointStore(opened.pool, store.schema),
            store.describe(),
        )


@asynccontextmanager
async def open_sagas(store: StoreChoice) -> AsyncIterator[SagaStateStore | None]:
    """The saga store of the (already migrated) schema."""
    async with _connection(store, size=2) as pool:
        yield PostgreSQLSagaStateStore(pool, store.schema)


@asynccontextmanager
async def _connection(store: StoreChoice, size: int = 1) -> AsyncIterator[ConnectionPool]:
    pool = ConnectionPool(store.dsn, PoolConfig(min_size=1, max_size=size))
    try:
        await pool.initialize()
    except OrchestrixError:
        raise
    except ValueError as error:  # the driver rejects a malformed DSN this way
        raise CliError(f"Invalid PostgreSQL DSN: {error}") from error
    try:
        yield pool
    finally:
        await pool.close()


__all__ = ["migrate", "open_event_store", "open_projections", "open_sagas", "schema_plan"]
