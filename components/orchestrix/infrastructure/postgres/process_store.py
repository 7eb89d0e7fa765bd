"""Process-manager instances in PostgreSQL: one guarded statement per save.

An insert for a new instance, an update guarded by the version the manager read otherwise;
the pool is shared with the other stores and belongs to the caller.
"""

from __future__ import annotations

from orchestrix.core.execution.errors import ProcessConcurrencyError
from orchestrix.core.execution.process_instance import ProcessInstance
from orchestrix.core.execution.process_records import (
    INSTANCE_COLUMNS,
    instance_from_row,
    instance_values,
)
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare

_JSON = {"state", "handled", "deadlines", "pending"}
_PLACES = [
    f"${number}::jsonb" if name in _JSON else f"${number}"
    for number, name in enumerate(INSTANCE_COLUMNS, start=1)
]
_COLUMNS = ", ".join(INSTANCE_COLUMNS)
_UPDATES = ", ".join(
    f"{name} = {place}" for name, place in list(zip(INSTANCE_COLUMNS, _PLACES, strict=True))[2:]
)


class PostgreSQLProcessStateStore:
    """`ProcessStateStore` on the `process_instances` table."""

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        table = f"{quote_schema(schema)}.process_instances"
        key = "process_type = $1 AND process_id = $2"
        self.pool = pool
        self.schema = schema
        self._load = f"SELECT {_COLUMNS} FROM {table} WHERE {key}"
        self._version = f"SELECT version FROM {table} WHERE {key}"
        self._insert = f"""
            INSERT INTO {table} ({_COLUMNS}) VALUES ({", ".join(_PLACES)})
            ON CONFLICT (process_type, process_id) DO NOTHING
        """
        expected = len(INSTANCE_COLUMNS) + 1
        self._update = f"UPDATE {table} SET {_UPDATES} WHERE {key} AND version = ${expected}"
        self._pending = f"""
            SELECT {_COLUMNS} FROM {table} WHERE process_type = $1 AND has_pending
            ORDER BY created_at, process_id
        """

    async def initialize(self) -> None:
        """Open the pool if needed and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    async def load_instance(self, process_type: str, process_id: str) -> ProcessInstance | None:
        if "\x00" in process_type + process_id:  # text cannot hold NUL: none is stored
            return None
        try:
            async with self.pool.acquire() as connection:
                row = await connection.fetchrow(self._load, process_type, process_id)
        except Exception as error:
            raise_translated(error, f"loading process instance {process_type}/{process_id}")
        return None if row is None else instance_from_row(row)

    async def save_instance(self, instance: ProcessInstance, expected_version: int) -> None:
        values = instance_values(instance)
        where = f"{instance.process_type}/{instance.process_id}"
        try:
            async with self.pool.acquire() as connection:
                if expected_version == 0:
                    outcome = await connection.execute(self._insert, *values)
                else:
                    outcome = await connection.execute(self._update, *values, expected_version)
                if outcome.endswith(" 1"):
                    return
                actual = await connection.fetchval(
                    self._version, instance.process_type, instance.process_id
                )
        except Exception as error:
            raise_translated(error, f"saving process instance {where}")
        raise ProcessConcurrencyError(where, expected_version, actual or 0)

    async def list_with_pending(self, process_type: str) -> list[ProcessInstance]:
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(self._pending, process_type)
        except Exception as error:
            raise_translated(error, "listing process instances")
        return [instance_from_row(row) for row in rows]


__all__ = ["PostgreSQLProcessStateStore"]
