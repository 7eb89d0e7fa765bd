"""Stores for the command line tests: each test gets a fresh SQLite file or PostgreSQL schema.

The `target` fixture runs a test once per backend. Commands are invoked with the target's
`--dsn`/`--schema` options; the test seeds events through the library's own stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from orchestrix.cli.app import cli
from orchestrix.core.common.retry import NoRetry
from orchestrix.core.eventsourcing.checkpoint import CheckpointStore
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.projection_error_policy import ErrorPolicy, OnFailure
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.execution.saga import Saga
from orchestrix.core.execution.saga_state import SagaState, SagaStateStore
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.checkpoint_store import PostgreSQLCheckpointStore
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from orchestrix.infrastructure.sqlite.async_store import SQLiteAsyncEventStore
from orchestrix.infrastructure.sqlite.checkpoint_store import SQLiteCheckpointStore
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore
from test.bases.orchestrix.cli.order_saga import STEPS, ProcessDied
from test.bases.orchestrix.cli.parcel_projection import table_of


@dataclass(frozen=True)
class Target:
    """A store the command line is pointed at."""

    backend: str
    dsn: str
    schema: str = "orchestrix"

    @property
    def options(self) -> list[str]:
        return ["--dsn", self.dsn, "--schema", self.schema]

    @property
    def env(self) -> dict[str, str]:
        """The same store named by environment variables only."""
        return {"ORCHESTRIX_DSN": self.dsn, "ORCHESTRIX_SCHEMA": self.schema}

    def open(self) -> SQLiteAsyncEventStore | PostgreSQLEventStore:
        if self.backend == "sqlite":
            return SQLiteAsyncEventStore(self.dsn)
        return PostgreSQLEventStore(self.dsn, 1, 2, schema=self.schema)

    def seed(self, stream_id: str, events: Sequence[Event]) -> None:
        """Append `events` to the stream, creating the schema if needed."""

        async def save() -> None:
            async with self.open() as store:
                await store.save(stream_id, events)

        asyncio.run(save())

    @asynccontextmanager
    async def checkpoints(self) -> AsyncIterator[tuple[Any, CheckpointStore]]:
        """The event store and the checkpoint store beside it, as a worker opens them."""
        async with self.open() as store:
            if isinstance(store, PostgreSQLEventStore):
                yield store, PostgreSQLCheckpointStore(store.pool, self.schema)
                return
            async with SQLiteCheckpointStore(self.dsn) as checkpoints:
                yield store, checkpoints

    def run_projection(
        self, factory: Callable[[Any], ProjectionEngine], *, skip_failures: bool = False
    ) -> None:
        """Run the projection to the end of the log, as a worker would."""

        async def catch_up() -> None:
            async with self.checkpoints() as (store, checkpoints):
                on_failure = OnFailure.SKIP if skip_failures else OnFailure.STOP
                policy = ErrorPolicy(retry=NoRetry(), on_failure=on_failure)
                runner = ProjectionRunner(factory(checkpoints), store, error_policy=policy)
                await runner.reset()  # creates the read model's table
                await runner.catch_up()

        asyncio.run(catch_up())

    @asynccontextmanager
    async def sagas(self) -> AsyncIterator[SagaStateStore]:
        """The saga store (on SQLite, in the target's file, which may hold sagas only)."""
        if self.backend == "sqlite":
            async with SQLiteSagaStateStore(self.dsn) as sagas:
                yield sagas
            return
        async with self.open() as store:
            assert isinstance(store, PostgreSQLEventStore)
            yield PostgreSQLSagaStateStore(store.pool, self.schema)

    def run_saga(self, saga_id: str, **arguments: Any) -> None:
        """Start an `order` saga; a crash (see `order_saga`) leaves it interrupted."""

        async def run() -> None:
            async with self.sagas() as sagas:
                with contextlib.suppress(ProcessDied, ValueError):
                    await Saga("order", STEPS, sagas, saga_id=saga_id).execute(**arguments)

        asyncio.run(run())

    def saga_state(self, saga_id: str) -> SagaState:
        async def load() -> SagaState:
            async with self.sagas() as sagas:
                state = await sagas.load_state(saga_id)
            assert state is not None
            return state

        return asyncio.run(load())

    def read_model(self) -> dict[str, int]:
        """The rows of the parcels projection's table."""

        async def read() -> dict[str, int]:
            async with self.checkpoints() as (_, checkpoints):
                table = table_of(checkpoints)
                if isinstance(checkpoints, PostgreSQLCheckpointStore):
                    async with checkpoints.pool.acquire() as connection:
                        rows = await connection.fetch(f"SELECT parcel_id, events FROM {table}")
                    return {row[0]: row[1] for row in rows}
            with sqlite3.connect(self.dsn) as connection:
                return dict(connection.execute(f"SELECT parcel_id, events FROM {table}"))

        return asyncio.run(read())


def invoke(*arguments: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """Run `orchestrix ARGUMENTS` in-process, with standard output and error apart."""
    return CliRunner().invoke(cli, list(arguments), env=env, input=input, prog_name="orchestrix")


@pytest.fixture
def sqlite_target(tmp_path: Path) -> Target:
    return Target("sqlite", str(tmp_path / "events.sqlite3"))


@pytest.fixture
def postgres_target(postgres_dsn: str) -> Iterator[Target]:
    """A schema of its own on the test server, dropped afterwards."""
    target = Target("postgres", postgres_dsn, f"cli_{uuid.uuid4().hex[:16]}")
    yield target

    async def drop() -> None:
        connection = await asyncpg.connect(postgres_dsn)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')
        finally:
            await connection.close()

    asyncio.run(drop())


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest) -> Target:
    """Each backend in turn."""
    chosen: Target = request.getfixturevalue(f"{request.param}_target")
    return chosen
