"""The PostgreSQL outbox (filled by a trigger on the store's inserts) and inbox pass the
contracts; the trigger is opt-in per schema and follows the schema, not the search path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from orchestrix.infrastructure.postgres.inbox import PostgreSQLInbox
from orchestrix.infrastructure.postgres.outbox import PostgreSQLOutbox
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener
from test.contracts.inbox import EffectsUnderTest, TransactionalInboxContract
from test.contracts.outbox import LeasedOutboxContract, OutboxUnderTest, added

pytestmark = pytest.mark.postgres


async def _outbox_of(store: PostgreSQLEventStore) -> PostgreSQLOutbox:
    outbox = PostgreSQLOutbox(store.pool, store.schema)
    await outbox.initialize()
    return outbox


class TestPostgreSQLOutbox(LeasedOutboxContract):
    @pytest.fixture
    async def backend(self, open_store: StoreOpener) -> OutboxUnderTest:
        self.store = await open_store(pool_max_size=4)
        return OutboxUnderTest(await _outbox_of(self.store), self.store.save)

    @pytest.fixture
    def short_lease(self, backend: OutboxUnderTest) -> Callable[[float], Awaitable[Any]]:
        async def open_outbox(seconds: float) -> PostgreSQLOutbox:
            return PostgreSQLOutbox(self.store.pool, self.store.schema, lease=seconds)

        return open_outbox


async def test_the_outbox_is_opt_in_per_schema(open_store: StoreOpener) -> None:
    plain, with_outbox = await open_store(), await open_store()
    outbox = await _outbox_of(with_outbox)
    await plain.save("A", added("1"))
    await with_outbox.save("A", added("1"))
    assert await PostgreSQLOutbox(plain.pool, plain.schema).pending_count() == 0
    assert await outbox.pending_count() == 1
    await outbox.initialize()  # idempotent
    assert await outbox.enabled()
    await outbox.disable()
    assert not await outbox.enabled()
    await with_outbox.save("A", added("2"))
    assert await outbox.pending_count() == 1


async def test_the_trigger_writes_to_its_own_schema_whatever_the_search_path(
    open_store: StoreOpener, raw: asyncpg.Connection
) -> None:
    store = await open_store()
    outbox = await _outbox_of(store)
    await raw.execute("SET search_path TO public")
    await raw.execute(
        f"""INSERT INTO "{store.schema}".events (stream_id, version, event_id, event_type,
            schema_version, occurred_at, payload)
            VALUES ('S', 1, 'e-1', 'T', 1, now(), '{{}}')"""
    )
    assert await outbox.pending_count() == 1


async def test_batches_fill_the_outbox_in_one_statement(open_store: StoreOpener) -> None:
    store = await open_store()
    outbox = await _outbox_of(store)
    await store.save("A", added(*map(str, range(100))), 0)
    async with outbox.claim(1000) as batch:
        assert [entry.version for entry in batch.entries] == list(range(1, 101))


class TestPostgreSQLInbox(TransactionalInboxContract):
    @pytest.fixture
    async def inbox(self, open_store: StoreOpener) -> PostgreSQLInbox:
        store = await open_store(pool_max_size=6)
        return PostgreSQLInbox(store.pool, store.schema)

    @pytest.fixture
    async def effects(self, inbox: PostgreSQLInbox) -> EffectsUnderTest:
        table = f'"{inbox.schema}".effects'
        async with inbox.pool.acquire() as connection:
            await connection.execute(f"CREATE TABLE {table} (value text)")

        async def write(connection: Any, value: str) -> None:
            await connection.execute(f"INSERT INTO {table} VALUES ($1)", value)

        async def read() -> list[str]:
            async with inbox.pool.acquire() as connection:
                return [row[0] for row in await connection.fetch(f"SELECT value FROM {table}")]

        return EffectsUnderTest(write, read)
