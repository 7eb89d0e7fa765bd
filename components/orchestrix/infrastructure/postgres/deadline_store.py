"""Deadlines in PostgreSQL, found through an index on their due time."""

from __future__ import annotations

from datetime import datetime

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.execution.clock import require_aware
from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.execution.process_records import (
    DEADLINE_COLUMNS,
    deadline_from_row,
    deadline_values,
)
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare

_COLUMNS = ", ".join(DEADLINE_COLUMNS)


class PostgreSQLDeadlineStore:
    """`DeadlineStore` on the `deadlines` table."""

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        table = f"{quote_schema(schema)}.deadlines"
        self.pool = pool
        self.schema = schema
        self._schedule = f"""
            INSERT INTO {table} ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (deadline_id) DO UPDATE SET owner_type = $2, owner_id = $3, name = $4,
                due_at = $5, message = $6::jsonb
        """
        self._cancel = f"DELETE FROM {table} WHERE deadline_id = $1"
        self._due = f"""
            SELECT {_COLUMNS} FROM {table} WHERE due_at <= $1
            ORDER BY due_at, deadline_id LIMIT $2
        """
        self._next = f"SELECT min(due_at) FROM {table}"
        self._owned = f"""
            SELECT {_COLUMNS} FROM {table} WHERE owner_type = $1 AND owner_id = $2
            ORDER BY due_at, deadline_id
        """

    async def initialize(self) -> None:
        """Open the pool if needed and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    async def schedule(self, deadline: Deadline) -> None:
        values = deadline_values(deadline)
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(self._schedule, *values)
        except Exception as error:
            raise_translated(error, f"scheduling deadline {deadline.deadline_id!r}")

    async def cancel(self, deadline_id: str) -> None:
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(self._cancel, deadline_id)
        except Exception as error:
            raise_translated(error, f"cancelling deadline {deadline_id!r}")

    async def due(self, now: datetime, limit: int = 100) -> list[Deadline]:
        moment = require_aware(now, "now")
        if type(limit) is not int or limit < 1:
            raise ValidationError("must be a positive integer", "limit", limit)
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(self._due, moment, limit)
        except Exception as error:
            raise_translated(error, "finding due deadlines")
        return [deadline_from_row(row) for row in rows]

    async def next_due_at(self) -> datetime | None:
        try:
            async with self.pool.acquire() as connection:
                moment: datetime | None = await connection.fetchval(self._next)
        except Exception as error:
            raise_translated(error, "finding the next deadline")
        return moment

    async def list_for(self, owner_type: str, owner_id: str) -> list[Deadline]:
        if "\x00" in owner_type + owner_id:  # text cannot hold NUL: none is stored
            return []
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(self._owned, owner_type, owner_id)
        except Exception as error:
            raise_translated(error, "listing deadlines")
        return [deadline_from_row(row) for row in rows]


__all__ = ["PostgreSQLDeadlineStore"]
