"""One active instance per projection across processes: a PostgreSQL advisory lock.

The lock is a session-level advisory lock, keyed by the schema and projection id, held on a
connection of its own (not a pooled one, which is shared and reset). The server releases it
the moment that session ends, so when the holding process dies, a standby's next `acquire`
succeeds (within its standby interval). `renew` checks that the session is still alive.
"""

from __future__ import annotations

import asyncpg

from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool

_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"


class PostgreSQLProjectionLock:
    """An advisory lock on one projection, on a dedicated connection."""

    renew_interval = 1.0

    def __init__(self, pool: ConnectionPool, schema: str, projection_id: str) -> None:
        self.pool = pool  # where to connect, and how; its connections are not used
        self.key = f"orchestrix.projection:{schema}:{projection_id}"
        self._connection: asyncpg.Connection | None = None
        self._held = False

    async def acquire(self) -> bool:
        if self._held:
            return await self.renew()
        try:
            if self._connection is None or self._connection.is_closed():
                self._connection = await asyncpg.connect(
                    self.pool.connection_string,
                    timeout=self.pool.config.timeout,
                    server_settings=self.pool.config.server_settings or None,
                )
            self._held = bool(await self._connection.fetchval(_TRY_LOCK, self.key))
        except Exception as error:
            await self.release()
            raise_translated(error, f"taking the lock {self.key!r}")
        return self._held

    async def renew(self) -> bool:
        if not self._held or self._connection is None:
            return False
        try:
            await self._connection.fetchval("SELECT 1")
        except Exception:
            await self.release()
            return False
        return True

    async def release(self) -> None:
        """Close the session, which releases the lock."""
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=5)
            except Exception:
                connection.terminate()


__all__ = ["PostgreSQLProjectionLock"]
