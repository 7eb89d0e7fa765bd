"""Connections come back clean after any error, the pool refills, and event loops may change.

An argument the driver refuses on a statement's first use used to leave the server inside
the half-sent statement ("active", in a transaction, holding locks on `events`) while the
pool handed the connection out again: a later `LOCK` or `DROP SCHEMA` then hung.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest

from orchestrix.core.common.exceptions import OrchestrixError, StoreUsageError
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory

pytestmark = pytest.mark.postgres


@dataclass(frozen=True, kw_only=True)
class PgCleaned(Event):
    text: str


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait until `check()` holds (polling); fail if it never does."""
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    assert await check()


async def lock_promptly(raw: asyncpg.Connection, table: str) -> None:
    """Take and drop an exclusive lock on `table`, failing instead of hanging if held."""
    async with raw.transaction():
        await raw.execute("SET LOCAL lock_timeout = '3s'")
        await raw.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")


async def locks_held_by_others(raw: asyncpg.Connection, table: str) -> int:
    count: int = await raw.fetchval(
        "SELECT count(*) FROM pg_locks WHERE relation = $1::regclass AND pid <> pg_backend_pid()",
        table,
    )
    return count


BAD_SAVES = {
    "uuid correlation id": lambda: ([PgCleaned(text="x", correlation_id=uuid.uuid4())], None),  # type: ignore[arg-type]
    "int event id": lambda: ([PgCleaned(text="x", id=5)], None),  # type: ignore[arg-type]
    "expected version 2**63": lambda: ([PgCleaned(text="x")], 2**63),
    "batch with a uuid": lambda: (
        [PgCleaned(text="ok"), PgCleaned(text="x", causation_id=uuid.uuid4())],  # type: ignore[arg-type]
        None,
    ),
}


@pytest.mark.parametrize("bad", sorted(BAD_SAVES))
async def test_a_refused_argument_leaves_no_lock_and_no_poisoned_connection(
    open_store: Callable[..., Awaitable[PostgreSQLEventStore]],
    raw: asyncpg.Connection,
    bad: str,
) -> None:
    store = await open_store(pool_min_size=1, pool_max_size=1)
    table = f'"{store.schema}".events'
    events, expected_version = BAD_SAVES[bad]()
    for _ in range(2):  # first use of the statement, then with it cached
        with pytest.raises(OrchestrixError):
            await store.save("s", events, expected_version=expected_version)
        assert await locks_held_by_others(raw, table) == 0
        await lock_promptly(raw, table)
    await store.save("s", [PgCleaned(text="fine")], expected_version=0)
    assert [event.text for event in await store.load("s")] == ["fine"]  # type: ignore[attr-defined]


async def test_any_error_on_a_borrowed_connection_leaves_it_clean(
    postgres_dsn: str, new_schema: SchemaFactory, raw: asyncpg.Connection
) -> None:
    schema = f'"{new_schema()}"'
    table = f"{schema}.t"
    await raw.execute(f"CREATE SCHEMA {schema}; CREATE TABLE {table} (x text)")
    insert = f"INSERT INTO {table} VALUES ($1)"
    async with ConnectionPool(postgres_dsn, PoolConfig(min_size=1, max_size=1)) as pool:
        with pytest.raises(asyncpg.DataError):  # refused by the driver, after Parse was sent
            async with pool.acquire() as connection:
                await connection.execute(insert, uuid.uuid4())
        assert await locks_held_by_others(raw, table) == 0
        await lock_promptly(raw, table)

        connection = await pool.acquire()  # the first release's style: the pool cannot see
        with pytest.raises(asyncpg.DataError):  # the error, so every release cleans up
            await connection.execute(insert, 42)
        pool.release(connection)
        await eventually(lambda: _no_locks(raw, table))
        await lock_promptly(raw, table)

        async with pool.acquire() as connection:  # an error inside an explicit transaction
            with pytest.raises(asyncpg.DataError):
                async with connection.transaction():
                    await connection.execute(insert, "kept?")
                    await connection.execute(insert, 3.5)
        assert await raw.fetchval(f"SELECT count(*) FROM {table}") == 0
        assert await pool.execute_scalar("SELECT 1") == 1
        assert pool.get_metrics().current_size == 1


async def _no_locks(raw: asyncpg.Connection, table: str) -> bool:
    return await locks_held_by_others(raw, table) == 0


async def test_the_pool_refills_to_min_size_after_its_connections_are_killed(
    postgres_dsn: str, raw: asyncpg.Connection
) -> None:
    name = f"refill-{uuid.uuid4().hex[:8]}"
    config = PoolConfig(min_size=3, max_size=5, server_settings={"application_name": name})
    backends = (
        "SELECT array_agg(pid ORDER BY pid) FROM pg_stat_activity WHERE application_name = $1"
    )
    async with ConnectionPool(postgres_dsn, config) as pool:
        old = await raw.fetchval(backends, name)
        assert len(old) == 3
        await raw.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", old)

        async def refilled() -> bool:
            metrics = pool.get_metrics()
            pids = set(await raw.fetchval(backends, name) or [])
            sizes = (metrics.connections_closed, metrics.current_size, metrics.idle_size)
            return sizes == (3, 3, 3) and len(pids) == 3 and not pids & set(old)

        await eventually(refilled)
        assert pool.get_metrics().connections_created == 6
        assert await pool.execute_scalar("SELECT 1") == 1  # no borrower ever saw a dead one


async def test_the_store_recovers_every_connection_after_they_are_killed(
    open_store: Callable[..., Awaitable[PostgreSQLEventStore]], raw: asyncpg.Connection
) -> None:
    store = await open_store(pool_min_size=2, pool_max_size=2)
    async with store.pool.acquire() as first, store.pool.acquire() as second:
        pids = [first.get_server_pid(), second.get_server_pid()]
    await raw.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", pids)

    async def refilled() -> bool:
        metrics = store.pool.get_metrics()
        return (metrics.connections_closed, metrics.idle_size) == (2, 2)

    await eventually(refilled)
    await store.save("s", [PgCleaned(text="after")], expected_version=0)
    assert len(await store.load("s")) == 1


def test_asyncio_run_per_call_works(postgres_dsn: str) -> None:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    name = f"loops-{uuid.uuid4().hex[:8]}"
    store = PostgreSQLEventStore(postgres_dsn, 2, 3, schema=schema)
    events = [PgCleaned(text=str(i)) for i in range(5)]
    try:
        asyncio.run(store.initialize())
        for version, event in enumerate(events):  # each call on a new event loop
            asyncio.run(store.save("s", [event], expected_version=version))
        assert asyncio.run(store.load("s")) == events
        assert asyncio.run(store.ping())

        async def read() -> list[Event]:
            return [recorded.event async for recorded in store.read_all()]

        assert asyncio.run(read()) == events
        asyncio.run(store.close())

        pool = ConnectionPool(
            postgres_dsn, PoolConfig(1, 2, server_settings={"application_name": name})
        )
        asyncio.run(pool.initialize())
        assert [asyncio.run(pool.execute_scalar("SELECT 1")) for _ in range(4)] == [1] * 4
        asyncio.run(pool.close())
        asyncio.run(_until_no_backends(postgres_dsn, name))  # abandoned ones are gone too
    finally:
        asyncio.run(_drop(postgres_dsn, schema))


async def _until_no_backends(dsn: str, name: str) -> None:
    raw = await asyncpg.connect(dsn)
    try:
        query = "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = $1"

        async def gone() -> bool:
            return bool(await raw.fetchval(query, name))

        await eventually(gone)
    finally:
        await raw.close()


async def _drop(dsn: str, schema: str) -> None:
    raw = await asyncpg.connect(dsn)
    try:
        await raw.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await raw.close()


def test_a_loop_still_running_elsewhere_is_a_clear_error(postgres_dsn: str) -> None:
    pool = ConnectionPool(postgres_dsn, PoolConfig(1, 1))
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(pool.initialize(), other).result(10)
        with pytest.raises(StoreUsageError, match="another event loop"):
            asyncio.run(pool.execute_scalar("SELECT 1"))
        with pytest.raises(StoreUsageError, match="another event loop"):
            asyncio.run(pool.close())  # nor can it close connections it cannot reach
        done = asyncio.run_coroutine_threadsafe(pool.execute_scalar("SELECT 2"), other)
        assert done.result(10) == 2  # the owner is unaffected
        asyncio.run_coroutine_threadsafe(pool.close(), other).result(10)
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join()
        other.close()
