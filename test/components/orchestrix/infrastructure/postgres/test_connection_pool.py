"""The connection pool: the first release's API facts, real metrics, queueing, clean returns."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from collections.abc import AsyncIterator

import asyncpg
import pytest

from orchestrix.core.common.exceptions import StoreError, StoreUnavailableError, StoreUsageError
from orchestrix.core.common.validation import ValidationError
from orchestrix.infrastructure.postgres.connection_pool import (
    ConnectionPool,
    PoolConfig,
    PoolMetrics,
    PoolNotInitializedError,
)

NOT_INITIALIZED = "Pool not initialized. Call initialize() first."
SOMEWHERE = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def pool(postgres_dsn: str) -> AsyncIterator[ConnectionPool]:
    async with ConnectionPool(postgres_dsn, PoolConfig(min_size=1, max_size=2)) as opened:
        yield opened


# --- PoolConfig --------------------------------------------------------------------------


def test_pool_config_fields_and_defaults_are_the_first_releases() -> None:
    config = PoolConfig()
    assert [f.name for f in dataclasses.fields(config) if f.name != "_"][:7] == [
        "min_size",
        "max_size",
        "max_queries",
        "max_idle_time",
        "max_cached_statement_lifetime",
        "max_cacheable_statement_size",
        "timeout",
    ]
    assert (config.min_size, config.max_size, config.max_queries) == (10, 50, 50000)
    assert (config.max_idle_time, config.timeout) == (300.0, 30.0)
    assert (config.max_cached_statement_lifetime, config.max_cacheable_statement_size) == (
        3600,
        15000,
    )
    assert PoolConfig(5, 6) == PoolConfig(min_size=5, max_size=6)  # positional, in order


def test_pool_config_is_mutable_and_not_validated_until_asked() -> None:
    config = PoolConfig(min_size=0)  # constructing never raises
    config.min_size = 3
    config.validate()
    assert config.min_size == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_size": 0}, "min_size must be at least 1"),
        ({"min_size": 0, "max_size": -1, "timeout": 0, "max_idle_time": -1}, "min_size"),
        ({"min_size": 5, "max_size": 4}, "max_size must be >= min_size"),
        ({"max_size": 1, "timeout": 0, "max_idle_time": -1}, "max_size must be >= min_size"),
        ({"timeout": 0}, "timeout must be positive"),
        ({"timeout": -1.5, "max_idle_time": -1}, "timeout must be positive"),
        ({"max_idle_time": -0.1}, "max_idle_time must be non-negative"),
    ],
)
def test_validate_checks_in_the_first_releases_order_with_its_messages(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        PoolConfig(**changes).validate()  # type: ignore[arg-type]
    assert isinstance(caught.value, ValidationError)


def test_validate_accepts_the_boundaries() -> None:
    PoolConfig(min_size=1, max_size=1, timeout=0.001, max_idle_time=0).validate()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_size": 1.5}, "min_size"),
        ({"min_size": True}, "min_size"),
        ({"max_size": "50"}, "max_size"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"max_idle_time": "300"}, "max_idle_time"),
        ({"max_queries": 0}, "max_queries"),
        ({"max_cacheable_statement_size": -1}, "max_cacheable_statement_size"),
        ({"command_timeout": 0}, "command_timeout"),
        ({"server_settings": {"application_name": 1}}, "server_settings"),
    ],
)
def test_validate_also_names_fields_of_the_wrong_type(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        PoolConfig(**changes).validate()  # type: ignore[arg-type]
    assert caught.value.field == field


# --- PoolMetrics -------------------------------------------------------------------------


def test_pool_metrics_defaults_and_independent_copies() -> None:
    metrics = PoolMetrics()
    assert dataclasses.astuple(metrics)[:7] == (0, 0, 0, 0, 0, 0, 0.0)
    copy = metrics.copy()
    copy.acquire_count = 5
    assert (metrics.acquire_count, copy.acquire_count) == (0, 5)
    assert copy == PoolMetrics(acquire_count=5)


@pytest.mark.parametrize(
    ("size", "idle", "percent"),
    [(0, 0, 0.0), (50, 0, 100.0), (50, 30, 40.0), (50, 20, 60.0), (50, 5, 90.0), (50, 40, 20.0)],
)
def test_utilization_percent(size: int, idle: int, percent: float) -> None:
    assert PoolMetrics(current_size=size, idle_size=idle).utilization_percent == percent


@pytest.mark.parametrize(
    ("metrics", "healthy"),
    [
        (PoolMetrics(), True),
        (PoolMetrics(acquire_timeout_count=10), True),
        (PoolMetrics(acquire_timeout_count=11), False),
        (PoolMetrics(current_size=99, idle_size=0), True),
        (PoolMetrics(current_size=100, idle_size=0), False),
        (PoolMetrics(current_size=150, idle_size=0), False),
        (PoolMetrics(current_size=200, idle_size=0), False),
        (PoolMetrics(current_size=200, idle_size=1), True),
        (PoolMetrics(current_size=5, idle_size=5, acquire_timeout_count=11), False),
    ],
)
def test_is_healthy_boundaries(metrics: PoolMetrics, healthy: bool) -> None:
    assert metrics.is_healthy is healthy


# --- ConnectionPool without a server -----------------------------------------------------


def test_pool_takes_connection_string_and_optional_config() -> None:
    pool = ConnectionPool(SOMEWHERE)
    assert pool.connection_string == SOMEWHERE
    assert pool.config == PoolConfig()
    config = PoolConfig(min_size=2, max_size=3)
    assert ConnectionPool(SOMEWHERE, config).config is config


def test_pool_constructor_validates_the_config() -> None:
    with pytest.raises(ValueError, match="max_size must be >= min_size"):
        ConnectionPool(SOMEWHERE, PoolConfig(min_size=5, max_size=2))
    with pytest.raises(ValidationError) as caught:
        ConnectionPool("localhost:5432")
    assert caught.value.field == "connection_string"


def test_password_stays_out_of_repr() -> None:
    assert "secret" not in repr(ConnectionPool("postgresql://app:secret@db/app"))


async def test_use_before_initialize_is_the_first_releases_runtime_error() -> None:
    pool = ConnectionPool(SOMEWHERE)
    with pytest.raises(RuntimeError, match=f"^{re.escape(NOT_INITIALIZED)}$") as caught:
        await pool.acquire()
    assert isinstance(caught.value, PoolNotInitializedError)
    assert isinstance(caught.value, StoreError)
    with pytest.raises(RuntimeError, match="initialize"):
        async with pool.acquire():
            pass
    with pytest.raises(RuntimeError, match="initialize"):
        await pool.execute("SELECT 1")
    with pytest.raises(RuntimeError, match="initialize"):
        await pool.execute_scalar("SELECT 1")
    assert pool.get_metrics() == PoolMetrics()


# --- ConnectionPool against the server ---------------------------------------------------

live = pytest.mark.postgres


@live
async def test_metrics_report_real_figures(pool: ConnectionPool) -> None:
    metrics = pool.get_metrics()
    assert (metrics.current_size, metrics.idle_size, metrics.connections_created) == (1, 1, 1)
    async with pool.acquire() as first, pool.acquire() as second:
        assert first is not second
        assert await first.fetchval("SELECT 1") == 1
        metrics = pool.get_metrics()
        assert (metrics.current_size, metrics.idle_size, metrics.in_use) == (2, 0, 2)
        assert metrics.utilization_percent == 100.0
    metrics = pool.get_metrics()
    assert (metrics.current_size, metrics.idle_size, metrics.acquire_count) == (2, 2, 2)
    assert (metrics.connections_created, metrics.acquire_timeout_count) == (2, 0)
    assert metrics.acquire_latency_ms > 0
    assert metrics.is_healthy
    pool.reset_metrics()
    metrics = pool.get_metrics()
    assert (metrics.acquire_count, metrics.connections_created, metrics.current_size) == (0, 0, 2)


@live
async def test_execute_and_execute_scalar(pool: ConnectionPool) -> None:
    rows = await pool.execute("SELECT n FROM generate_series(1, $1) AS n", 3)
    assert [row[0] for row in rows] == [1, 2, 3]
    assert await pool.execute_scalar("SELECT $1::int * 2", 21) == 42
    assert pool.get_metrics().idle_size == pool.get_metrics().current_size


@live
async def test_awaited_acquire_and_release_like_the_first_release(pool: ConnectionPool) -> None:
    connection = await pool.acquire()
    assert await connection.fetchval("SELECT 1") == 1
    assert pool.get_metrics().in_use == 1
    await pool.release(connection)
    assert pool.get_metrics().in_use == 0
    with pytest.raises(StoreUsageError):
        pool.release(connection)  # twice
    again = await pool.acquire()
    pool.release(again)  # not awaited, as the first release's callers wrote it
    for _ in range(200):  # it comes back in the background
        if pool.get_metrics().in_use == 0:
            break
        await asyncio.sleep(0.01)
    assert pool.get_metrics().in_use == 0
    async with pool.acquire() as reused:
        assert reused is again
    stranger = await asyncpg.connect(pool.connection_string)
    try:
        with pytest.raises(StoreUsageError):
            pool.release(stranger)
    finally:
        await stranger.close()


@live
async def test_connections_are_reused(pool: ConnectionPool) -> None:
    async with pool.acquire() as connection:
        pid = connection.get_server_pid()
    async with pool.acquire() as connection:
        assert connection.get_server_pid() == pid


@live
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
    assert pool.get_metrics().current_size == 2


@live
async def test_an_exhausted_pool_times_out_clearly_and_counts_it(postgres_dsn: str) -> None:
    config = PoolConfig(min_size=1, max_size=1, timeout=0.2)
    async with ConnectionPool(postgres_dsn, config) as pool, pool.acquire():
        with pytest.raises(StoreUnavailableError, match=r"within 0\.2 s"):
            async with pool.acquire():
                pass
        with pytest.raises(StoreUnavailableError):
            await pool.acquire()
        assert pool.get_metrics().acquire_timeout_count == 2


@live
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


@live
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


@live
async def test_full_reset_clears_session_settings(postgres_dsn: str) -> None:
    config = PoolConfig(min_size=1, max_size=1, full_reset=True)
    async with ConnectionPool(postgres_dsn, config) as pool:
        async with pool.acquire() as connection:
            await connection.execute("SET application_name = 'changed'")
        async with pool.acquire() as connection:
            assert await connection.fetchval("SHOW application_name") != "changed"


@live
async def test_a_connection_is_replaced_after_max_queries(postgres_dsn: str) -> None:
    config = PoolConfig(min_size=1, max_size=1, max_queries=3)
    async with ConnectionPool(postgres_dsn, config) as pool:
        pids = [await pool.execute_scalar("SELECT pg_backend_pid()") for _ in range(5)]
    assert pids[0] == pids[1] == pids[2] != pids[3]


@live
async def test_idle_connections_beyond_min_size_close_after_max_idle_time(
    postgres_dsn: str,
) -> None:
    config = PoolConfig(min_size=1, max_size=3, max_idle_time=0.05)
    async with ConnectionPool(postgres_dsn, config) as pool:
        async with pool.acquire(), pool.acquire(), pool.acquire():
            pass
        assert pool.get_metrics().current_size == 3
        await asyncio.sleep(0.1)
        await pool.execute_scalar("SELECT 1")  # returning one closes the stale ones
        assert pool.get_metrics().current_size == 1


@live
async def test_an_unreachable_server_is_a_clear_error() -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    pool = ConnectionPool(dsn, PoolConfig(min_size=1, max_size=1, timeout=2))
    with pytest.raises(StoreUnavailableError, match="unavailable") as caught:
        await pool.initialize()
    assert isinstance(caught.value.__cause__, OSError)
    assert pool.get_metrics().connect_failures == 1
    with pytest.raises(PoolNotInitializedError):
        async with pool.acquire():
            pass
