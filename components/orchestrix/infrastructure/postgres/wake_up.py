"""Waking a following projection when events are appended: LISTEN/NOTIFY as a hint only.

The store notifies channel `orchestrix_events` with the schema name after each append commits
(`append_notifier`); this listens on a connection of its own and, on a notification for its
schema, wakes the runner, which then reads the log from its checkpoint. The notification
carries no events and is not trusted as data; a lost one (the connection dropped) only delays
the runner to its next poll, after which the connection is opened again.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg

from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.infrastructure.postgres._projection_sql import NOTIFY_CHANNEL
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool

_log = StructuredLogger(get_logger(__name__))


class PostgreSQLWakeUp:
    """A `WakeUp` that listens for appends to one schema's event log."""

    def __init__(self, pool: ConnectionPool, schema: str, fallback_poll: float = 1.0) -> None:
        self.pool = pool  # where to connect, and how; its connections are not used
        self.schema = schema
        self.fallback_poll = fallback_poll
        self._signal = asyncio.Event()
        self._connection: asyncpg.Connection | None = None

    async def open(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            return
        try:
            connection = await asyncpg.connect(
                self.pool.connection_string,
                timeout=self.pool.config.timeout,
                server_settings=self.pool.config.server_settings or None,
            )
            await connection.add_listener(NOTIFY_CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            _log.warning(
                "cannot listen for appends; polling", schema=self.schema, error=repr(error)
            )
            return
        connection.add_termination_listener(self._lost)
        self._connection = connection
        self._signal.set()  # events may have been appended while nobody listened

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        if payload == self.schema:
            self._signal.set()

    def _lost(self, connection: Any) -> None:
        self._connection = None
        self._signal.set()

    async def wait(self, at_most: float) -> None:
        if self._connection is None:
            await self.open()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await self._signal.wait()
        self._signal.clear()

    def notify(self) -> None:
        self._signal.set()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=5)
            except Exception:
                connection.terminate()


__all__ = ["PostgreSQLWakeUp"]
