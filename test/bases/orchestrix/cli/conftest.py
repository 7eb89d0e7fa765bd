"""Stores for the command line tests: each test gets a fresh SQLite file or PostgreSQL schema.

The `target` fixture runs a test once per backend. Commands are invoked with the target's
`--dsn`/`--schema` options; the test seeds events through the library's own stores.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner, Result

from orchestrix.cli.app import cli
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from orchestrix.infrastructure.sqlite.async_store import SQLiteAsyncEventStore


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


def invoke(*arguments: str, env: dict[str, str] | None = None) -> Result:
    """Run `orchestrix ARGUMENTS` in-process, with standard output and error apart."""
    return CliRunner().invoke(cli, list(arguments), env=env, prog_name="orchestrix")


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
