"""A pool of asyncpg connections that reports what it does and fails in Orchestrix terms.

`ConnectionPool(connection_string, config)`, `PoolConfig` and `PoolMetrics` keep the first
release's names, defaults and checks. The pool manages asyncpg connections itself rather than
wrapping `asyncpg.Pool`: that pool spends about 60 µs per borrow (a proxy object, a task per
release) and a `RESET ALL` round trip per release, a quarter of a one-statement save. Here a
borrow is a deque pop, and a connection comes back clean: an unfinished transaction is rolled
back, and after any error the session is synchronised and rolled back (an argument the driver
refuses can leave the server inside a half-sent statement, holding its locks) or, if that
fails or the error may have cut a message in half, the connection is closed. Connections the
server ends are noticed at once and the pool is refilled to `min_size`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from collections import deque
from collections.abc import Awaitable, Generator
from dataclasses import KW_ONLY, dataclass, field, replace
from types import TracebackType
from typing import Any

import asyncpg

from orchestrix.core.common.exceptions import StoreError, StoreUnavailableError, StoreUsageError
from orchestrix.core.common.validation import ValidationError
from orchestrix.infrastructure.postgres._errors import raise_translated

NOT_INITIALIZED = "Pool not initialized. Call initialize() first."


class PoolNotInitializedError(StoreError, RuntimeError):
    """The pool (or the store owning it) is used before `initialize()` or after `close()`."""

    def __init__(self) -> None:
        super().__init__(NOT_INITIALIZED)


@dataclass
class PoolConfig:
    """How many connections to keep and for how long (times in seconds).

    The first seven fields are the first release's, in its order and with its defaults;
    `validate()` checks them in its order with its messages, then checks types and our fields.
    """

    min_size: int = 10  # opened by initialize() and kept even when idle
    max_size: int = 50
    max_queries: int = 50000  # a connection is replaced after serving this many queries
    max_idle_time: float = 300.0  # idle connections beyond min_size close after this; 0: never
    max_cached_statement_lifetime: int = 3600
    max_cacheable_statement_size: int = 15000
    timeout: float = 30.0  # longest wait to connect, and for a free connection
    _: KW_ONLY
    command_timeout: float | None = None  # default per-statement limit, none if None
    full_reset: bool = False  # RESET ALL etc. on every return (for borrowers that SET)
    server_settings: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise `ValidationError` (a `ValueError`) for the first field that cannot work."""
        _require_int("min_size", self.min_size)
        if self.min_size < 1:
            raise ValidationError("min_size must be at least 1", "min_size", self.min_size)
        _require_int("max_size", self.max_size)
        if self.max_size < self.min_size:
            raise ValidationError("max_size must be >= min_size", "max_size", self.max_size)
        _require_number("timeout", self.timeout)
        if self.timeout <= 0:
            raise ValidationError("timeout must be positive", "timeout", self.timeout)
        _require_number("max_idle_time", self.max_idle_time)
        if self.max_idle_time < 0:
            message = "max_idle_time must be non-negative"
            raise ValidationError(message, "max_idle_time", self.max_idle_time)
        _require_int("max_queries", self.max_queries, minimum=1)
        _require_int("max_cached_statement_lifetime", self.max_cached_statement_lifetime)
        _require_int("max_cacheable_statement_size", self.max_cacheable_statement_size)
        if self.command_timeout is not None:
            _require_number("command_timeout", self.command_timeout)
            if self.command_timeout <= 0:
                message = "command_timeout must be positive"
                raise ValidationError(message, "command_timeout", self.command_timeout)
        if not isinstance(self.server_settings, dict) or not all(
            isinstance(key, str) and isinstance(value, str)
            for key, value in self.server_settings.items()
        ):
            message = "server_settings must map names to string values"
            raise ValidationError(message, "server_settings", self.server_settings)


def _require_int(name: str, value: object, minimum: int = 0) -> None:
    if type(value) is not int or value < minimum:
        message = f"{name} must be an integer of at least {minimum}"
        raise ValidationError(message, name, value)


def _require_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{name} must be a finite number of seconds", name, value)


@dataclass
class PoolMetrics:
    """Counters of the pool; `get_metrics()` returns a copy with the live sizes filled in.

    `acquire_latency_ms` is the mean wait for a connection; `connect_failures` counts
    connection attempts the server refused or did not answer.
    """

    connections_created: int = 0
    connections_closed: int = 0
    current_size: int = 0
    idle_size: int = 0
    acquire_count: int = 0
    acquire_timeout_count: int = 0
    acquire_latency_ms: float = 0.0
    connect_failures: int = 0

    def copy(self) -> PoolMetrics:
        return replace(self)

    @property
    def in_use(self) -> int:
        return self.current_size - self.idle_size

    @property
    def utilization_percent(self) -> float:
        """Share of open connections that are borrowed, 0.0 when none is open."""
        if self.current_size == 0:
            return 0.0
        return self.in_use / self.current_size * 100

    @property
    def is_healthy(self) -> bool:
        """The first release's rule: at most 10 timeouts, and no saturated pool of 100+."""
        if self.acquire_timeout_count > 10:
            return False
        if self.idle_size == 0:
            return self.current_size < 100
        return True


class ConnectionPool:
    """Measured asyncpg connections: `async with pool.acquire() as connection: ...`.

    `connection = await pool.acquire()` followed by `await pool.release(connection)` works too
    (then the connection is always synchronised and rolled back on return, one round trip).
    Idle connections are reused most-recent first; one idle for longer than `max_idle_time`
    is closed (down to `min_size`). When all `max_size` are borrowed, callers queue and get
    the next connection given back, or `StoreUnavailableError` after `timeout` seconds.
    The pool belongs to one event loop at a time: once the loop it was used on is closed
    (`asyncio.run()` per call), the next use starts afresh on the current loop.
    """

    def __init__(self, connection_string: str, config: PoolConfig | None = None) -> None:
        if not isinstance(connection_string, str) or not connection_string.startswith(
            ("postgresql://", "postgres://")
        ):
            message = "must be a postgresql:// connection string"
            raise ValidationError(message, "connection_string", connection_string)
        self.connection_string = connection_string
        self.config = PoolConfig() if config is None else config
        self.config.validate()
        self._open = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._size = 0  # connections open or being opened
        self._idle: deque[tuple[asyncpg.Connection, float]] = deque()
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._lent: set[asyncpg.Connection] = set()  # borrowed by `await acquire()`
        self._tasks: set[asyncio.Task[None]] = set()  # refills and releases under way
        self._refilling = False
        self._metrics = PoolMetrics()
        self._acquire_seconds = 0.0

    def __repr__(self) -> str:
        return f"<ConnectionPool open={self._open} config={self.config!r}>"

    async def initialize(self) -> None:
        """Open `min_size` connections; idempotent."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._move_to(loop)
        elif self._open:
            return
        self._open = True
        opened = await asyncio.gather(
            *(self._connect() for _ in range(self.config.min_size)), return_exceptions=True
        )
        failure = next((item for item in opened if isinstance(item, BaseException)), None)
        for item in opened:
            if not isinstance(item, BaseException):
                self._pass_on(item)
        if failure is not None:
            await self.close()
            raise failure

    async def close(self) -> None:
        """Close idle connections now and borrowed ones when they come back; idempotent."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._move_to(loop)  # connections of a closed loop are dropped
        self._open = False
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(StoreError("The connection pool was closed"))
        idle = [connection for connection, _ in self._idle]
        self._idle.clear()
        self._size -= len(idle)
        self._metrics.connections_closed += len(idle)
        await asyncio.gather(*(_close(connection) for connection in idle), *self._tasks)

    async def __aenter__(self) -> ConnectionPool:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def acquire(self) -> _Borrowed:
        """A connection: `async with pool.acquire() as c:` or `c = await pool.acquire()`."""
        return _Borrowed(self)

    def release(self, connection: asyncpg.Connection) -> Awaitable[None]:
        """Give back a connection from `await acquire()`; await the result to wait until it
        is clean (callers of the first release, which returned nothing, may ignore it)."""
        if connection not in self._lent:
            raise StoreUsageError("This connection was not acquired from this pool")
        self._lent.discard(connection)
        return self._background(self._give_back(connection, _UNKNOWN_STATE))

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> list[Any]:
        """The rows of `query` run on a pooled connection."""
        async with self.acquire() as connection:
            rows: list[Any] = await connection.fetch(query, *args, **kwargs)
            return rows

    async def execute_scalar(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """The first value of the first row of `query` run on a pooled connection."""
        async with self.acquire() as connection:
            return await connection.fetchval(query, *args, **kwargs)

    def get_metrics(self) -> PoolMetrics:
        """A copy of the counters, with the current and idle sizes of the pool now."""
        metrics = replace(self._metrics, current_size=self._size, idle_size=len(self._idle))
        if metrics.acquire_count:
            metrics.acquire_latency_ms = self._acquire_seconds / metrics.acquire_count * 1000.0
        return metrics

    def reset_metrics(self) -> None:
        """Start the counters afresh (the sizes are always read live)."""
        self._metrics = PoolMetrics()
        self._acquire_seconds = 0.0

    # --- borrowing -------------------------------------------------------------------------

    async def _take(self) -> asyncpg.Connection:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._move_to(loop)
            if self._open:
                self._background(self._refill())
        if not self._open:
            raise PoolNotInitializedError()
        started = time.perf_counter()
        connection = self._reuse() or await self._connect_or_wait()
        self._metrics.acquire_count += 1
        self._acquire_seconds += time.perf_counter() - started
        return connection

    async def _connect_or_wait(self) -> asyncpg.Connection:
        deadline = asyncio.get_running_loop().time() + self.config.timeout
        while True:
            if self._size < self.config.max_size:
                return await self._connect()
            connection = await self._wait(deadline) or self._reuse()
            if connection is not None:
                return connection

    def _reuse(self) -> asyncpg.Connection | None:
        while self._idle:
            connection, _ = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._forget()
        return None

    async def _connect(self) -> asyncpg.Connection:
        config = self.config
        self._size += 1
        try:
            connection = await asyncpg.connect(
                self.connection_string,
                timeout=config.timeout,
                command_timeout=config.command_timeout,
                max_cached_statement_lifetime=config.max_cached_statement_lifetime,
                max_cacheable_statement_size=config.max_cacheable_statement_size,
                server_settings=config.server_settings or None,
            )
        except BaseException as error:
            self._size -= 1
            self._metrics.connect_failures += 1
            self._pass_on(None)
            raise_translated(error, "connecting")
        self._metrics.connections_created += 1
        connection.add_termination_listener(self._on_terminated)
        return connection

    async def _wait(self, deadline: float) -> asyncpg.Connection | None:
        """The next connection given back, or None when a slot frees up to connect in."""
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                return await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._pass_on(waiter.result())  # handed over just as we gave up: pass it on
            waiter.cancel()
            if isinstance(error, TimeoutError):
                self._metrics.acquire_timeout_count += 1
                raise StoreUnavailableError(
                    f"No PostgreSQL connection became free within {self.config.timeout} s "
                    f"(all {self.config.max_size} in use)"
                ) from error
            raise

    def _pass_on(self, connection: asyncpg.Connection | None) -> None:
        """Give a connection (or, with None, a free slot) to the first waiter, else keep it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is not None:
            now = time.monotonic()
            self._idle.append((connection, now))
            self._close_stale(now)

    def _close_stale(self, now: float) -> None:
        idle, limit = self._idle, self.config.max_idle_time
        while limit and idle and now - idle[0][1] > limit and self._size > self.config.min_size:
            connection, _ = idle.popleft()
            self._forget()
            connection.terminate()

    # --- giving back -----------------------------------------------------------------------

    async def _give_back(self, connection: asyncpg.Connection, error: BaseException | None) -> None:
        """Return `connection` clean, or close it; `error` ended the borrower's block."""
        if self._open and not connection.is_closed() and _may_reset(error):
            try:
                if error is not None:
                    # One simple query ends whatever the server was in: a half-sent statement
                    # (its locks), a failed or an open transaction.
                    async with asyncio.timeout(self.config.timeout):
                        await connection.execute("ROLLBACK")
                if self.config.full_reset:
                    await connection.reset()
                elif connection.is_in_transaction():
                    await connection.execute("ROLLBACK")
            except Exception:
                pass  # closed below
            except BaseException:  # cancelled while cleaning up: drop it and let that through
                self._forget()
                connection.terminate()
                raise
            else:
                if _queries(connection) < self.config.max_queries:
                    self._pass_on(connection)
                    return
                self._forget()
                await _close(connection)
                return
        self._forget()
        if self._open and error is not None:
            connection.terminate()
        else:
            await _close(connection)

    def _forget(self) -> None:
        """Account for one connection gone: a waiter may connect instead, and the pool refills
        to `min_size` in the background."""
        self._size -= 1
        self._metrics.connections_closed += 1
        self._pass_on(None)
        if self._open and self._size < self.config.min_size and not self._refilling:
            self._background(self._refill())

    def _on_terminated(self, connection: asyncpg.Connection) -> None:
        """asyncpg reports a closed connection: drop it at once if it was idle."""
        for entry in self._idle:
            if entry[0] is connection:
                self._idle.remove(entry)
                self._forget()
                return

    async def _refill(self) -> None:
        self._refilling = True
        try:
            while self._below_min_size():
                connection = await self._connect()
                if self._open:
                    self._pass_on(connection)
                else:  # closed meanwhile
                    self._forget()
                    await _close(connection)
        except StoreError:
            pass  # the server is away; the next borrower reconnects
        finally:
            self._refilling = False

    def _below_min_size(self) -> bool:
        """Whether an open pool should connect on its own (no waiter is connecting)."""
        return self._open and self._size < self.config.min_size and not self._waiters

    def _background(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- event loops -----------------------------------------------------------------------

    def _move_to(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start afresh on `loop` if the pool's own loop is gone; refuse if it still runs."""
        old = self._loop
        if old is not None and old.is_running() and not old.is_closed():
            raise StoreUsageError(
                "This store's connections belong to another event loop that is still "
                "running; use one store per event loop"
            )
        was_open = self._open
        self._abandon_all()
        self._loop, self._open = loop, was_open

    def _abandon_all(self) -> None:
        """Drop every connection of a loop that no longer runs (they cannot be awaited)."""
        idle = [connection for connection, _ in self._idle] + list(self._lent)
        self._metrics.connections_closed += self._size
        self._idle.clear()
        self._lent.clear()
        self._waiters.clear()
        self._tasks.clear()
        self._refilling = False
        self._size = 0
        self._open = False
        for connection in idle:
            _cut(connection)


class _UnknownState(Exception):
    """Marks a connection given back by `release()`: what its borrower did is unknown."""


_UNKNOWN_STATE = _UnknownState()


def _may_reset(error: BaseException | None) -> bool:
    """Whether a connection can be reused after `error`: not after a cancellation, a timeout
    or a lost connection, which may have cut a protocol message in half."""
    if error is None:
        return True
    return isinstance(error, Exception) and not isinstance(
        error, TimeoutError | OSError | asyncpg.PostgresConnectionError
    )


def _queries(connection: asyncpg.Connection) -> int:
    """Queries the connection has run (asyncpg's own pool reads the same counter)."""
    protocol = getattr(connection, "_protocol", None)
    return int(getattr(protocol, "queries_count", 0))


async def _close(connection: asyncpg.Connection) -> None:
    """Close politely, or drop the socket when the server does not answer."""
    try:
        await asyncio.wait_for(connection.close(), 5.0)
    except Exception:
        connection.terminate()


def _cut(connection: asyncpg.Connection) -> None:
    """End a connection whose event loop is closed: asyncpg cannot schedule its own
    shutdown there, so the socket is shut down directly and the server ends the session."""
    try:
        connection.terminate()
    except RuntimeError:
        transport = getattr(connection, "_transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Borrowed:
    """What `ConnectionPool.acquire` returns: an `async with` block or an awaitable.

    A plain class, cheaper than a generator-based context manager.
    """

    __slots__ = ("_connection", "_owner")

    def __init__(self, owner: ConnectionPool) -> None:
        self._owner = owner
        self._connection: Any = None

    def __await__(self) -> Generator[Any, None, asyncpg.Connection]:
        connection = yield from self._owner._take().__await__()
        self._owner._lent.add(connection)
        return connection

    async def __aenter__(self) -> asyncpg.Connection:
        self._connection = await self._owner._take()
        return self._connection

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._owner._give_back(self._connection, exc)


__all__ = [
    "NOT_INITIALIZED",
    "ConnectionPool",
    "PoolConfig",
    "PoolMetrics",
    "PoolNotInitializedError",
]
