"""Saga states in PostgreSQL, saved after every transition so a saga resumes after a crash.

Step statuses, results and context are JSONB (the core keeps them JSON-compatible); the
status column is indexed with the creation time for `list_by_status`. The pool is shared with
the other stores and belongs to the caller.
"""

from __future__ import annotations

from typing import Any

from orchestrix.core.execution.saga_state import SagaState, SagaStatus, SagaStepStatus
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare

_COLUMNS = """saga_id, saga_type, status, current_step, step_statuses, step_results, context,
    error, created_at, updated_at"""


class PostgreSQLSagaStateStore:
    """`SagaStateStore` on the `saga_states` table."""

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        table = f"{quote_schema(schema)}.saga_states"
        self.pool = pool
        self.schema = schema
        self._load = f"SELECT {_COLUMNS} FROM {table} WHERE saga_id = $1"
        self._list = f"""
            SELECT {_COLUMNS} FROM {table} WHERE status = ANY($1::text[])
            ORDER BY created_at, saga_id
        """
        self._save = f"""
            INSERT INTO {table} ({_COLUMNS})
            VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10)
            ON CONFLICT (saga_id) DO UPDATE SET
                saga_type = excluded.saga_type, status = excluded.status,
                current_step = excluded.current_step, step_statuses = excluded.step_statuses,
                step_results = excluded.step_results, context = excluded.context,
                error = excluded.error, created_at = excluded.created_at,
                updated_at = excluded.updated_at
        """

    async def initialize(self) -> None:
        """Open the pool if needed and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    async def save_state(self, state: SagaState) -> None:
        statuses = {name: status.value for name, status in state.step_statuses.items()}
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(
                    self._save,
                    state.saga_id,
                    state.saga_type,
                    state.status.value,
                    state.current_step,
                    _json(statuses),
                    _json(state.step_results),
                    _json(state.context),
                    state.error,
                    state.created_at,
                    state.updated_at,
                )
        except Exception as error:
            raise_translated(error, f"saving saga state {state.saga_id!r}")

    async def load_state(self, saga_id: str) -> SagaState | None:
        try:
            async with self.pool.acquire() as connection:
                row = await connection.fetchrow(self._load, saga_id)
        except Exception as error:
            raise_translated(error, f"loading saga state {saga_id!r}")
        return None if row is None else _state(row)

    async def list_by_status(self, *statuses: SagaStatus) -> list[SagaState]:
        """Sagas in any of `statuses`, oldest first."""
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(self._list, [status.value for status in statuses])
        except Exception as error:
            raise_translated(error, "listing saga states")
        return [_state(row) for row in rows]


def _json(value: Any) -> str:
    return dump_json(value).decode()


def _state(row: Any) -> SagaState:
    (saga_id, saga_type, status, step, statuses, results, context, error, created, updated) = row
    return SagaState(
        saga_id=saga_id,
        saga_type=saga_type,
        status=SagaStatus(status),
        current_step=step,
        step_statuses={name: SagaStepStatus(value) for name, value in load_json(statuses).items()},
        step_results=load_json(results),
        context=load_json(context),
        error=error,
        created_at=created,
        updated_at=updated,
    )


__all__ = ["PostgreSQLSagaStateStore"]
