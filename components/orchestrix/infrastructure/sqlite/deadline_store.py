"""Deadlines in SQLite, found by their due time (UTC text, whose order is time order)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.execution.clock import require_aware
from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.execution.process_records import (
    DEADLINE_COLUMNS,
    deadline_from_row,
    deadline_values,
)
from orchestrix.infrastructure.sqlite._feature import SQLiteFeature
from orchestrix.infrastructure.sqlite._times import parse_time, utc_text
from orchestrix.infrastructure.sqlite.execution_schema import SAGAS

_COLUMNS = ", ".join(DEADLINE_COLUMNS)
_DUE_AT = DEADLINE_COLUMNS.index("due_at")
_UPSERT = f"""
    INSERT INTO deadlines ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (deadline_id) DO UPDATE SET owner_type = excluded.owner_type,
        owner_id = excluded.owner_id, name = excluded.name, due_at = excluded.due_at,
        message = excluded.message
"""
_DUE = f"SELECT {_COLUMNS} FROM deadlines WHERE due_at <= ? ORDER BY due_at, deadline_id LIMIT ?"
_OWNED = f"""
    SELECT {_COLUMNS} FROM deadlines WHERE owner_type = ? AND owner_id = ?
    ORDER BY due_at, deadline_id
"""


class SQLiteDeadlineStore(SQLiteFeature):
    """`DeadlineStore` on the `deadlines` table of a SQLite file."""

    schema = SAGAS
    role = "deadline store"

    async def schedule(self, deadline: Deadline) -> None:
        values = list(deadline_values(deadline))
        values[_DUE_AT] = utc_text(deadline.due_at)
        await self._execute(
            f"schedule deadline {deadline.deadline_id!r}",
            lambda connection: connection.execute(_UPSERT, values),
        )

    async def cancel(self, deadline_id: str) -> None:
        await self._execute(
            f"cancel deadline {deadline_id!r}",
            lambda connection: connection.execute(
                "DELETE FROM deadlines WHERE deadline_id = ?", (deadline_id,)
            ),
        )

    async def due(self, now: datetime, limit: int = 100) -> list[Deadline]:
        moment = utc_text(require_aware(now, "now"))
        if type(limit) is not int or limit < 1:
            raise ValidationError("must be a positive integer", "limit", limit)
        rows = await self._execute(
            "find due deadlines",
            lambda connection: connection.execute(_DUE, (moment, limit)).fetchall(),
        )
        return [_deadline(row) for row in rows]

    async def next_due_at(self) -> datetime | None:
        (text,) = await self._execute(
            "find the next deadline",
            lambda connection: connection.execute("SELECT MIN(due_at) FROM deadlines").fetchone(),
        )
        return parse_time(text)

    async def list_for(self, owner_type: str, owner_id: str) -> list[Deadline]:
        rows = await self._execute(
            "list deadlines",
            lambda connection: connection.execute(_OWNED, (owner_type, owner_id)).fetchall(),
        )
        return [_deadline(row) for row in rows]


def _deadline(row: Sequence[Any]) -> Deadline:
    values = list(row)
    values[_DUE_AT] = parse_time(values[_DUE_AT])
    return deadline_from_row(values)


__all__ = ["SQLiteDeadlineStore"]
