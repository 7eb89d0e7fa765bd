"""The end of a PostgreSQL event store's log, for lag figures and starting at the head.

The head is the last event readers can see: the newest below the horizon `read_all` stops at
(only writers still in flight hold it back). The backlog counts what lies after a checkpoint
on the log's index, committed or still held back, and takes the time the oldest of those was
recorded. Nothing is decoded.
"""

from __future__ import annotations

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.subscription_lag import Backlog
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._horizon import writer_lock_key
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres._projection_sql import (
    head_statement,
    projection_statements,
)
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool


class PostgreSQLLogHead:
    """A `LogHead` for the event store in `schema`, through `pool`."""

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        self.pool = pool
        self.schema = schema
        self._quoted = quote_schema(schema)
        self._sql = projection_statements(self._quoted)

    async def head(self) -> Checkpoint:
        try:
            async with self.pool.acquire() as connection:
                # The clock's offset changes only when the database moves: read it each time.
                offset = await connection.fetchval(self._sql.log_offset)
                statement = head_statement(self._quoted, writer_lock_key(self.schema), offset)
                found = await connection.fetchrow(statement)
        except Exception as error:
            raise_translated(error, "reading the head of the event log")
        return START if found is None else Checkpoint(found[0], found[1])

    async def backlog(self, after: Checkpoint) -> Backlog:
        try:
            async with self.pool.acquire() as connection:
                count, oldest = await connection.fetchrow(
                    self._sql.backlog, after.tx_id, after.position
                )
        except Exception as error:
            raise_translated(error, "measuring the backlog of the event log")
        return Backlog(count, oldest)


__all__ = ["PostgreSQLLogHead"]
