"""A server that goes away: clear errors while it is gone, recovery when it is back.

Rather than stopping the shared PostgreSQL server (other tests on the machine use it), the
store talks to it through a TCP proxy in this process, and the test cuts the proxy: listening
stops and every open connection is dropped, exactly what clients see of a stopped server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from orchestrix.core.common.exceptions import StoreUnavailableError
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory

pytestmark = pytest.mark.postgres


@dataclass(frozen=True, kw_only=True)
class PgPinged(Event):
    n: int


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the server until `cut()`; `restore()` listens again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.transport.abort()

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def restore(self) -> None:
        await self.start()


@pytest.fixture
async def proxy(postgres_dsn: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    parts = urlsplit(postgres_dsn)
    tcp = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await tcp.start()
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{tcp.port}"
    yield tcp, urlunsplit(parts._replace(netloc=netloc))
    await tcp.cut()


async def test_a_stopped_server_is_a_clear_error_and_the_pool_recovers(
    proxy: tuple[TcpProxy, str], new_schema: SchemaFactory
) -> None:
    tcp, dsn = proxy
    async with PostgreSQLEventStore(dsn, 2, 4, 2.0, schema=new_schema()) as store:
        await store.save("s", [PgPinged(n=1)], expected_version=0)

        await tcp.cut()
        with pytest.raises(StoreUnavailableError, match="unavailable") as caught:
            await store.save("s", [PgPinged(n=2)], expected_version=1)
        assert isinstance(caught.value.__cause__, OSError | asyncpg.PostgresConnectionError)
        with pytest.raises(StoreUnavailableError):
            await store.load("s")
        with pytest.raises(StoreUnavailableError):
            [recorded async for recorded in store.read_all()]
        assert await store.ping() is False

        await tcp.restore()
        assert await store.ping() is True
        await store.save("s", [PgPinged(n=3)], expected_version=1)
        assert [event.n for event in await store.load("s")] == [1, 3]  # type: ignore[attr-defined]
        assert store.pool.get_metrics().connect_failures >= 1


async def test_a_connection_lost_mid_query_is_dropped_and_replaced(
    proxy: tuple[TcpProxy, str], new_schema: SchemaFactory
) -> None:
    tcp, dsn = proxy
    async with PostgreSQLEventStore(dsn, 1, 2, 2.0, schema=new_schema()) as store:

        async def slow_query() -> None:
            async with store.pool.acquire() as connection:
                await connection.execute("SELECT pg_sleep(5)")

        running = asyncio.create_task(slow_query())
        await asyncio.sleep(0.2)
        await tcp.cut()
        with pytest.raises((asyncpg.PostgresConnectionError, OSError)):
            await running
        await tcp.restore()
        await store.save("s", [PgPinged(n=1)])
        assert len(await store.load("s")) == 1


async def test_initialize_against_a_stopped_server_fails_clearly(
    proxy: tuple[TcpProxy, str], new_schema: SchemaFactory
) -> None:
    tcp, dsn = proxy
    await tcp.cut()
    store = PostgreSQLEventStore(dsn, 1, 1, 1.0, schema=new_schema())
    with pytest.raises(StoreUnavailableError, match="unavailable"):
        await store.initialize()
    await tcp.restore()
    await store.initialize()
    assert await store.ping()
    await store.close()
