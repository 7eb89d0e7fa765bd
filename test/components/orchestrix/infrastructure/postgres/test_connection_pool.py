"""The connection pool: configuration checks, real metrics, queueing, broken connections."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import asyncpg
import pytest

from orchestrix.core.common.exceptions import StoreError, StoreUnavailableError
from orchestrix.core.common.validation import ValidationError
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def pool(postgres_dsn: str) -> AsyncIterator[ConnectionPool]:
    async with ConnectionPool(PoolConfig(dsn=postgres_dsn, min_size=1, max_size=2)) as opened:
        yield opened


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dsn": "localhost:5432"}, "dsn"),
        ({"min_size": 1.5}, "min_size"),
        ({"min_size": True}, "min_size"),
        ({"max_size": 0, "min_size": 0}, "max_size"),
        ({"min_size": 3, "max_size": 2}, "max_size"),
        ({"timeout": -1}, "timeout"),
        ({"connect_timeout": float("inf")}, "connect_timeout"),
        ({"command_timeout": 0}, "command_timeout"),
        ({"max_idle_seconds": "300"}, "max_idle_seconds"),
    ],
)
def test_validate_names_the_bad_field(changes: dict[str, object], field: str) -> None:
    config = PoolConfig(**{"dsn": "postgresql://localhost/test", **changes})  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        config.validate()
    assert caught.value.field == field


def test_a_valid_config_passes_and_hides_its_password() -> None:
    config = PoolConfig(dsn="postgresql://app:secret@db/app", min_size=0, command_timeout=5)
    config.validate()
    assert "secret" not in repr(config)


async def test_metrics_report_real_figures(pool: ConnectionPool) -> None:
    assert (pool.metrics().size, pool.metrics().idle) == (1, 1)
    async with pool.acquire() as first, pool.acquire() as second:
        assert first is not second
        assert await first.fetchval("SELECT 1") == 1
        metrics = pool.metrics()
        assert (metrics.size, metrics.idle, metrics.in_use) == (2, 0, 2)
    metrics = pool.metrics()
    assert (metrics.size, metrics.idle, metrics.acquisitions) == (2, 2, 2)
    assert (metrics.min_size, metrics.max_size, metrics.timeouts) == (1, 2, 0)
    assert metrics.average_acquire_ms > 0


async def test_connections_are_reused(pool: ConnectionPool) -> None:
    async with pool.acquire() as connection:
        pid = connection.get_server_pid()
    async with pool.acquire() as connection:
        assert connection.get_server_pid() == pid


async def test_a_waiter_gets_the_next_connection_given_back(pool: ConnectionPool) -> None:
    release = asyncio.Event()

    async def hold() -> int:
        async with pool.acquire() as connection:
            await release.wait()
            pid: int = connection.get_server_pid()
            return pid

    async def wait_for_one() -> int:
        async with pool.acquire() as connection:
            pid: int = connection.get_server_pid()
            return pid

    holders = [asyncio.create_task(hold()) for _ in range(2)]
    await asyncio.sleep(0.05)
    waiting = asyncio.create_task(wait_for_one())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    release.set()
    assert await waiting in await asyncio.gather(*holders)
    assert pool.metrics().size == 2


async def test_an_exhausted_pool_times_out_clearly(postgres_dsn: str) -> None:
    config = PoolConfig(dsn=postgres_dsn, min_size=0, max_size=1, timeout=0.2)
    async with ConnectionPool(config) as pool, pool.acquire():
        with pytest.raises(StoreUnavailableError, match=r"within 0\.2 s"):
            async with pool.acquire():
                pass
        assert pool.metrics().timeouts == 1


async def test_a_connection_the_server_closed_is_replaced(
    pool: ConnectionPool, raw: asyncpg.Connection
) -> None:
    async with pool.acquire() as connection:
        pid = connection.get_server_pid()
    await raw.execute("SELECT pg_terminate_backend($1)", pid)
    await asyncio.sleep(0.1)  # let the client notice the closed socket
    async with pool.acquire() as connection:
        assert connection.get_server_pid() != pid
        assert await connection.fetchval("SELECT 2") == 2


async def test_a_cancelled_query_does_not_poison_the_pool(pool: ConnectionPool) -> None:
    async def slow() -> None:
        async with pool.acquire() as connection:
            await connection.execute("SELECT pg_sleep(10)")

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT 3") == 3


async def test_an_unfinished_transaction_is_rolled_back_on_return(
    pool: ConnectionPool,
) -> None:
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("CREATE TEMP TABLE left_open (x int)")
    async with pool.acquire() as connection:
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SELECT to_regclass('pg_temp.left_open')") is None


async def test_full_reset_clears_session_settings(postgres_dsn: str) -> None:
    config = PoolConfig(dsn=postgres_dsn, min_size=1, max_size=1, full_reset=True)
    async with ConnectionPool(config) as pool:
        async with pool.acquire() as connection:
            await connection.execute("SET application_name = 'changed'")
        async with pool.acquire() as connection:
            assert await connection.fetchval("SHOW application_name") != "changed"


async def test_an_unreachable_server_is_a_clear_error() -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    pool = ConnectionPool(PoolConfig(dsn=dsn, min_size=1, max_size=1, connect_timeout=2))
    with pytest.raises(StoreUnavailableError, match="unavailable") as caught:
        await pool.open()
    assert isinstance(caught.value.__cause__, OSError)
    assert pool.metrics().failures == 1
    with pytest.raises(StoreError, match="not open"):
        async with pool.acquire():
            pass
