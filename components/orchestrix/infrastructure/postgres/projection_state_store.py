"""Projection checkpoints in PostgreSQL, so a projection resumes where it stopped.

The store shares the event store's pool and schema (`PostgreSQLProjectionStateStore(
store.pool, store.schema)`); the pool belongs to the caller, who closes it. The checkpoint
is the pair (transaction id, position) of the last processed event, as the log orders it.
A projection runner needs `PostgreSQLCheckpointStore`, which adds transactions shared with
the read model to this store.
"""

from __future__ import annotations

from typing import Any

from orchestrix.core.eventsourcing.projection_state import ProjectionState
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare


def state_values(state: ProjectionState) -> tuple[Any, ...]:
    """The columns of `projection_states` for `state`, in table order."""
    return (
        state.projection_id,
        state.last_processed_event_id,
        state.last_processed_position,
        state.last_processed_tx_id,
        state.updated_at,
        state.error_count,
        state.is_healthy,
    )


def state_from_row(projection_id: str, row: Any) -> ProjectionState:
    event_id, position, tx_id, updated_at, error_count, is_healthy = row
    return ProjectionState(
        projection_id=projection_id,
        last_processed_event_id=event_id,
        last_processed_position=position,
        last_processed_tx_id=tx_id,
        updated_at=updated_at,
        error_count=error_count,
        is_healthy=is_healthy,
    )


class PostgreSQLProjectionStateStore:
    """`ProjectionStateStore` on the `projection_states` table."""

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        table = f"{quote_schema(schema)}.projection_states"
        self.pool = pool
        self.schema = schema
        self._load = f"""
            SELECT last_event_id, last_position, last_tx_id, updated_at, error_count, is_healthy
            FROM {table} WHERE projection_id = $1
        """
        self._save = f"""
            INSERT INTO {table} (
                projection_id, last_event_id, last_position, last_tx_id, updated_at,
                error_count, is_healthy
            ) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (projection_id) DO UPDATE SET
                last_event_id = excluded.last_event_id, last_position = excluded.last_position,
                last_tx_id = excluded.last_tx_id, updated_at = excluded.updated_at,
                error_count = excluded.error_count, is_healthy = excluded.is_healthy
        """
        self._delete = f"DELETE FROM {table} WHERE projection_id = $1"

    async def initialize(self) -> None:
        """Open the pool if needed and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    async def load_state(self, projection_id: str) -> ProjectionState | None:
        try:
            async with self.pool.acquire() as connection:
                row = await connection.fetchrow(self._load, projection_id)
        except Exception as error:
            raise_translated(error, f"loading projection state {projection_id!r}")
        return None if row is None else state_from_row(projection_id, row)

    async def save_state(self, state: ProjectionState) -> None:
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(self._save, *state_values(state))
        except Exception as error:
            raise_translated(error, f"saving projection state {state.projection_id!r}")

    async def delete_state(self, projection_id: str) -> None:
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(self._delete, projection_id)
        except Exception as error:
            raise_translated(error, f"deleting projection state {projection_id!r}")


__all__ = ["PostgreSQLProjectionStateStore", "state_from_row", "state_values"]
