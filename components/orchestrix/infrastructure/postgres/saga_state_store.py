"""Saga states in PostgreSQL, saved after every transition so a saga resumes after a crash.

One statement per save: an insert for a new saga, an update guarded by the version the saga
read, or an upsert when no version is expected. Step statuses and arguments are JSONB written
by the core's saga records; the status column is indexed with the creation time for
`list_by_status`. The pool is shared with the other stores and belongs to the caller.
"""

from __future__ import annotations

from orchestrix.core.execution.errors import SagaConcurrencyError
from orchestrix.core.execution.saga_records import COLUMNS, row_values, state_from_row
from orchestrix.core.execution.saga_state import SagaState, SagaStatus
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare

_COLUMNS = ", ".join(COLUMNS)
_VALUES = "$1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12"
_UPDATES = """saga_type = $2, status = $3, version = $4, current_step_index = $5,
    step_statuses = $6::jsonb, context = $7::jsonb, error = $8, started_at = $9,
    completed_at = $10, created_at = $11, updated_at = $12"""


class PostgreSQLSagaStateStore:
    """`SagaStateStore` on the `saga_states` table."""

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        table = f"{quote_schema(schema)}.saga_states"
        self.pool = pool
        self.schema = schema
        self._load = f"SELECT {_COLUMNS} FROM {table} WHERE saga_id = $1"
        self._version = f"SELECT version FROM {table} WHERE saga_id = $1"
        self._list = f"""
            SELECT {_COLUMNS} FROM {table} WHERE status = ANY($1::text[])
            ORDER BY created_at, saga_id
        """
        self._upsert = f"""
            INSERT INTO {table} ({_COLUMNS}) VALUES ({_VALUES})
            ON CONFLICT (saga_id) DO UPDATE SET {_UPDATES}
        """
        self._insert = f"""
            INSERT INTO {table} ({_COLUMNS}) VALUES ({_VALUES})
            ON CONFLICT (saga_id) DO NOTHING
        """
        self._update = f"""
            UPDATE {table} SET {_UPDATES} WHERE saga_id = $1 AND version = $13
        """

    async def initialize(self) -> None:
        """Open the pool if needed and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    async def save_state(self, state: SagaState, expected_version: int | None = None) -> None:
        values = row_values(state)
        try:
            async with self.pool.acquire() as connection:
                if expected_version is None:
                    await connection.execute(self._upsert, *values)
                    return
                if expected_version == 0:
                    outcome = await connection.execute(self._insert, *values)
                else:
                    outcome = await connection.execute(self._update, *values, expected_version)
                if outcome.endswith(" 1"):
                    return
                actual = await connection.fetchval(self._version, state.saga_id)
        except Exception as error:
            raise_translated(error, f"saving saga state {state.saga_id!r}")
        raise SagaConcurrencyError(state.saga_id, expected_version, actual or 0)

    async def load_state(self, saga_id: str) -> SagaState | None:
        if "\x00" in saga_id:  # PostgreSQL text cannot hold NUL: no such saga is stored
            return None
        try:
            async with self.pool.acquire() as connection:
                row = await connection.fetchrow(self._load, saga_id)
        except Exception as error:
            raise_translated(error, f"loading saga state {saga_id!r}")
        return None if row is None else state_from_row(row)

    async def list_by_status(self, *statuses: SagaStatus) -> list[SagaState]:
        """Sagas in any of `statuses`, oldest first."""
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(self._list, [status.value for status in statuses])
        except Exception as error:
            raise_translated(error, "listing saga states")
        return [state_from_row(row) for row in rows]


__all__ = ["PostgreSQLSagaStateStore"]
