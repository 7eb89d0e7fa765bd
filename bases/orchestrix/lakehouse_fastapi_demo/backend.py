"""The storage backends: one SQLite file by default, PostgreSQL when a DSN is configured.

Each gives the service the same pieces: the event store, with personal-data protection (a
key store beside the events, AES-GCM under the master key), the checkpoint store with the
read model beside it (exactly once), the projection runner that keeps the read model up to
date, the saga state store of the erasure runs, a `Views` reader and a readiness probe.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from orchestrix.core.eventsourcing.checkpoint import CheckpointStore
from orchestrix.core.eventsourcing.event_log import AsyncEventLog
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.eventsourcing.personal_data import AsyncPersonalData, PersonalData
from orchestrix.core.eventsourcing.personal_keys import Cipher
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.lakehouse_fastapi_demo.queries import Views
from orchestrix.lakehouse_fastapi_demo.read_model import PROJECTION, register_views
from orchestrix.lakehouse_fastapi_demo.settings import Settings
from orchestrix.lakehouse_fastapi_demo.sql import PostgreSQLSql, Sql, SQLiteSql


class LakeStore(AsyncEventStore, AsyncEventLog, Protocol):
    """An async event store whose global log can be read (every store of the library)."""


class Backend(Protocol):
    @property
    def store(self) -> LakeStore: ...

    @property
    def checkpoints(self) -> CheckpointStore: ...

    @property
    def runner(self) -> ProjectionRunner: ...

    @property
    def sagas(self) -> SagaStateStore: ...

    @property
    def views(self) -> Views: ...

    @property
    def description(self) -> str: ...

    async def open(self) -> None: ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...


async def start_projection(runner: ProjectionRunner, checkpoints: CheckpointStore) -> None:
    """Create the read model on first start, then catch up and follow the log."""
    if await checkpoints.load_state(PROJECTION) is None:
        await runner.reset()
    await runner.start()


class SQLiteBackend:
    """Everything in one SQLite file: events, checkpoints, read model, saga states."""

    def __init__(self, path: Path, cipher: Cipher) -> None:
        from orchestrix.infrastructure.sqlite import (
            SQLiteAsyncEventStore,
            SQLiteCheckpointStore,
            SQLiteKeyStore,
            SQLiteLogHead,
            SQLiteSagaStateStore,
        )

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.description = f"sqlite:{path}"
        self._keys = SQLiteKeyStore(path)
        self.store = SQLiteAsyncEventStore(path, personal_data=PersonalData(self._keys, cipher))
        self.checkpoints = SQLiteCheckpointStore(path)
        self.sagas = SQLiteSagaStateStore(path)
        self._head = SQLiteLogHead(path)
        engine = ProjectionEngine(PROJECTION, self.checkpoints)
        register_views(engine, SQLiteSql)
        self.runner = ProjectionRunner(engine, self.store, head=self._head)
        self._reader: sqlite3.Connection | None = None
        self.views = Views(self._lend)

    @asynccontextmanager
    async def _lend(self) -> AsyncIterator[Sql]:
        if self._reader is None:
            self._reader = sqlite3.connect(self.path, check_same_thread=False, timeout=5)
            self._reader.execute("PRAGMA query_only = ON")
        yield SQLiteSql(self._reader)

    async def open(self) -> None:
        await self.store.load("lakehouse.opening")  # creates and migrates the file
        await start_projection(self.runner, self.checkpoints)

    async def ready(self) -> bool:
        try:
            async with self._lend() as sql:
                await sql.fetch("SELECT 1 FROM {p}lake_datasets LIMIT 1")
        except sqlite3.Error:
            return False
        return self.runner.is_healthy()

    async def close(self) -> None:
        await self.runner.stop()
        for resource in (self._head, self.sagas, self.checkpoints, self.store):
            await resource.close()
        self._keys.close()
        if self._reader is not None:
            self._reader.close()


class PostgreSQLBackend:
    """Everything in one schema of a PostgreSQL database."""

    def __init__(self, dsn: str, schema: str, cipher: Cipher) -> None:
        from orchestrix.infrastructure.postgres import (
            ConnectionPool,
            PoolConfig,
            PostgreSQLCheckpointStore,
            PostgreSQLEventStore,
            PostgreSQLKeyStore,
            PostgreSQLLogHead,
            PostgreSQLSagaStateStore,
            PostgreSQLWakeUp,
        )

        self.schema = schema
        self.description = f"postgresql schema {schema}"
        # The key store has a pool of its own: a save never waits for a connection it holds
        self._keys = PostgreSQLKeyStore(
            ConnectionPool(dsn, PoolConfig(min_size=1, max_size=4)), schema
        )
        self.store = PostgreSQLEventStore(
            dsn,
            schema=schema,
            pool_min_size=1,
            personal_data=AsyncPersonalData(self._keys, cipher),
        )
        pool = self.store.pool
        self.checkpoints = PostgreSQLCheckpointStore(pool, schema)
        self.sagas = PostgreSQLSagaStateStore(pool, schema)
        self._wake_up = PostgreSQLWakeUp(pool, schema)
        engine = ProjectionEngine(PROJECTION, self.checkpoints)
        register_views(engine, self._sql)
        self.runner = ProjectionRunner(
            engine,
            self.store,
            wake_up=self._wake_up,
            head=PostgreSQLLogHead(pool, schema),
            lock=self.checkpoints.lock(PROJECTION),
        )
        self.views = Views(self._lend)

    def _sql(self, connection: Any) -> Sql:
        return PostgreSQLSql(connection, self.schema)

    @asynccontextmanager
    async def _lend(self) -> AsyncIterator[Sql]:
        async with self.store.pool.acquire() as connection:
            yield self._sql(connection)

    async def open(self) -> None:
        await self.store.initialize()
        await self._keys.initialize()
        await start_projection(self.runner, self.checkpoints)

    async def ready(self) -> bool:
        return await self.store.ping() and self.runner.is_healthy()

    async def close(self) -> None:
        await self.runner.stop()
        await self._wake_up.close()
        await self.store.close()
        await self._keys.pool.close()


def backend_for(settings: Settings) -> Backend:
    from orchestrix.infrastructure.crypto import AesGcmCipher

    cipher = AesGcmCipher.from_base64(settings.master_key_base64())
    if settings.dsn:
        return PostgreSQLBackend(settings.dsn, settings.schema, cipher)
    return SQLiteBackend(settings.sqlite_path, cipher)


__all__ = ["Backend", "PostgreSQLBackend", "SQLiteBackend", "backend_for", "start_projection"]
