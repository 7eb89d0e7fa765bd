"""The PostgreSQL checkpoint store passes the exactly-once checkpoint store contract; its
advisory lock is freed when the holder's session ends."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from orchestrix.infrastructure.postgres import PostgreSQLCheckpointStore, PostgreSQLEventStore
from test.contracts.checkpoint_store import ExactlyOnceCheckpointStoreContract

pytestmark = pytest.mark.postgres


class TestPostgreSQLCheckpointStore(ExactlyOnceCheckpointStoreContract):
    @pytest.fixture
    async def state_store(self, store: PostgreSQLEventStore) -> PostgreSQLCheckpointStore:
        checkpoints = PostgreSQLCheckpointStore(store.pool, store.schema)
        await checkpoints.initialize()
        async with store.pool.acquire() as connection:
            await connection.execute(f'CREATE TABLE "{store.schema}".model (value text)')
        return checkpoints

    async def write_model(self, connection: Any, value: str) -> None:
        await connection.execute(f'INSERT INTO "{self.schema}".model VALUES ($1)', value)

    async def read_model(self, store: Any) -> list[str]:
        async with store.pool.acquire() as connection:
            rows = await connection.fetch(f'SELECT value FROM "{store.schema}".model')
        return [row[0] for row in rows]

    @pytest.fixture(autouse=True)
    def remember_schema(self, store: PostgreSQLEventStore) -> None:
        self.schema = store.schema


async def test_a_dead_session_frees_the_lock(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    checkpoints = PostgreSQLCheckpointStore(store.pool, store.schema)
    holder, standby = checkpoints.lock("p"), checkpoints.lock("p")
    try:
        assert await holder.acquire()
        assert not await standby.acquire()
        pid = holder._connection.get_server_pid()  # type: ignore[union-attr]
        await raw.fetchval("SELECT pg_terminate_backend($1)", pid)  # the holder's process died
        assert not await holder.renew()
        assert await standby.acquire()
    finally:
        await holder.release()
        await standby.release()
