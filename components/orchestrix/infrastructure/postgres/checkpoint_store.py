"""Projection checkpoints in PostgreSQL, committed together with the read model.

`PostgreSQLCheckpointStore` is exactly-once: a transaction borrows a pooled connection,
hands handlers that `asyncpg.Connection`, and commits their read-model writes with the
checkpoint, guarded by a compare-and-set on it. Keep the read model's tables in the same
database (any schema). Dead letters and live versions sit in the event store's schema;
`lock(projection_id)` is a session advisory lock.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.projection_dead_letters import (
    DeadLetteredEvent,
    dead_letter_from_row,
    dead_letter_row,
)
from orchestrix.core.eventsourcing.projection_errors import CheckpointConflictError
from orchestrix.core.eventsourcing.projection_state import ProjectionState
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres._projection_sql import projection_statements
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.projection_lock import PostgreSQLProjectionLock
from orchestrix.infrastructure.postgres.projection_state_store import (
    PostgreSQLProjectionStateStore,
    state_from_row,
    state_values,
)


class PostgreSQLCheckpointStore(PostgreSQLProjectionStateStore):
    """An exactly-once `CheckpointStore` in the event store's schema."""

    exactly_once = True

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        super().__init__(pool, schema)
        self._sql = projection_statements(quote_schema(schema))

    async def states(self) -> list[ProjectionState]:
        try:
            async with self.pool.acquire() as connection:
                found = await connection.fetch(self._sql.states)
        except Exception as error:
            raise_translated(error, "listing the projections' checkpoints")
        return [state_from_row(row[0], row[1:]) for row in found]

    def transaction(self) -> _PostgreSQLTransaction:
        return _PostgreSQLTransaction(self)

    async def dead_letters(self, projection_id: str) -> list[DeadLetteredEvent]:
        try:
            async with self.pool.acquire() as connection:
                found = await connection.fetch(self._sql.dead_letters, projection_id)
        except Exception as error:
            raise_translated(error, f"listing dead letters of {projection_id!r}")
        return [dead_letter_from_row(row) for row in found]

    async def live(self, name: str) -> str | None:
        try:
            async with self.pool.acquire() as connection:
                found: str | None = await connection.fetchval(self._sql.live, name)
        except Exception as error:
            raise_translated(error, f"looking up the live version of {name!r}")
        return found

    def lock(self, projection_id: str) -> PostgreSQLProjectionLock:
        return PostgreSQLProjectionLock(self.pool, self.schema, projection_id)


class _PostgreSQLTransaction:
    """A transaction on a borrowed connection, which handlers write the read model with."""

    def __init__(self, store: PostgreSQLCheckpointStore) -> None:
        self._store = store
        self._borrowed = store.pool.acquire()
        self._transaction: Any = None
        self.connection: Any = None

    async def __aenter__(self) -> _PostgreSQLTransaction:
        try:
            self.connection = await self._borrowed.__aenter__()
            self._transaction = self.connection.transaction()
            await self._transaction.start()
        except BaseException as error:
            if self.connection is not None:
                await self._borrowed.__aexit__(type(error), error, error.__traceback__)
            if isinstance(error, Exception):
                raise_translated(error, "starting a projection transaction")
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        except BaseException as failure:
            await self._borrowed.__aexit__(type(failure), failure, failure.__traceback__)
            if error is None and isinstance(failure, Exception):
                raise_translated(failure, "committing a projection transaction")
            if error is None:
                raise
            return  # the block's own error propagates; a failed rollback adds nothing
        await self._borrowed.__aexit__(None, None, None)  # committed or rolled back: reusable

    async def _execute(self, operation: str, statement: str, *values: Any) -> str:
        try:
            status: str = await self.connection.execute(statement, *values)
        except Exception as error:
            raise_translated(error, operation)
        return status

    async def save_state(self, state: ProjectionState, expected: Checkpoint) -> None:
        sql, values = self._store._sql, state_values(state)
        operation = f"saving the checkpoint of {state.projection_id!r}"
        if expected == START:
            status = await self._execute(operation, sql.create_state, *values)
        else:
            status = await self._execute(
                operation, sql.move_state, *values, expected.tx_id, expected.position
            )
        if not status.endswith(" 1"):
            found = await self.connection.fetchrow(self._store._load, state.projection_id)
            actual = None if found is None else Checkpoint(found[2], found[1])
            raise CheckpointConflictError(state.projection_id, expected, actual)

    async def dead_letter(self, entry: DeadLetteredEvent) -> None:
        await self._execute(
            f"dead-lettering event {entry.event_id!r}",
            self._store._sql.save_dead_letter,
            *dead_letter_row(entry),
        )

    async def resolve_dead_letter(self, projection_id: str, event_id: str) -> None:
        await self._execute(
            f"resolving dead letter {event_id!r}",
            self._store._sql.resolve_dead_letter,
            projection_id,
            event_id,
        )

    async def discard_dead_letters(self, projection_id: str) -> None:
        await self._execute(
            f"discarding dead letters of {projection_id!r}",
            self._store._sql.discard_dead_letters,
            projection_id,
        )

    async def set_live(self, name: str, projection_id: str) -> None:
        await self._execute(
            f"promoting {projection_id!r}", self._store._sql.set_live, name, projection_id
        )


__all__ = ["PostgreSQLCheckpointStore"]
