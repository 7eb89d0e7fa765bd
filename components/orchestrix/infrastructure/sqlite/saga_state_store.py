"""Saga states in SQLite, saved after every transition so a saga resumes after a crash.

One statement per save (its own transaction): an insert for a new saga, an update guarded by
the version the saga read, or an upsert when no version is expected. Times are stored as UTC
ISO text, so their text order is their time order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from orchestrix.core.execution.errors import SagaConcurrencyError
from orchestrix.core.execution.saga_records import COLUMNS, row_values, state_from_row
from orchestrix.core.execution.saga_state import SagaState, SagaStatus
from orchestrix.infrastructure.sqlite._feature import SQLiteFeature
from orchestrix.infrastructure.sqlite._times import parse_time, utc_text
from orchestrix.infrastructure.sqlite.execution_schema import SAGAS

_COLUMNS = ", ".join(COLUMNS)
_VALUES = ", ".join(f":{name}" for name in COLUMNS)
_UPDATES = ", ".join(f"{name} = :{name}" for name in COLUMNS[1:])
_UPSERT = f"""
    INSERT INTO saga_states ({_COLUMNS}) VALUES ({_VALUES})
    ON CONFLICT (saga_id) DO UPDATE SET {_UPDATES}
"""
_INSERT = f"INSERT INTO saga_states ({_COLUMNS}) VALUES ({_VALUES}) ON CONFLICT DO NOTHING"
_UPDATE = f"UPDATE saga_states SET {_UPDATES} WHERE saga_id = :saga_id AND version = :expected"
_VERSION = "SELECT version FROM saga_states WHERE saga_id = ?"
_LOAD = f"SELECT {_COLUMNS} FROM saga_states WHERE saga_id = ?"


class SQLiteSagaStateStore(SQLiteFeature):
    """`SagaStateStore` on the `saga_states` table of a SQLite file."""

    schema = SAGAS
    role = "saga store"

    async def save_state(self, state: SagaState, expected_version: int | None = None) -> None:
        values = row_values(state)
        row = dict(zip(COLUMNS, (*values[:8], *map(utc_text, values[8:])), strict=True))
        row["expected"] = expected_version

        def save(connection: sqlite3.Connection) -> int | None:
            if expected_version is None:
                connection.execute(_UPSERT, row)
                return None
            if expected_version == 0:
                written = connection.execute(_INSERT, row).rowcount
            else:
                written = connection.execute(_UPDATE, row).rowcount
            if written:
                return None
            found = connection.execute(_VERSION, (state.saga_id,)).fetchone()
            return 0 if found is None else int(found[0])

        actual = await self._execute(f"save saga state {state.saga_id!r}", save)
        if actual is not None:
            assert expected_version is not None
            raise SagaConcurrencyError(state.saga_id, expected_version, actual)

    async def load_state(self, saga_id: str) -> SagaState | None:
        row = await self._execute(
            f"load saga state {saga_id!r}",
            lambda connection: connection.execute(_LOAD, (saga_id,)).fetchone(),
        )
        return None if row is None else _state(row)

    async def list_by_status(self, *statuses: SagaStatus) -> list[SagaState]:
        """Sagas in any of `statuses`, oldest first."""
        places = ", ".join("?" * len(statuses))
        query = f"""
            SELECT {_COLUMNS} FROM saga_states WHERE status IN ({places})
            ORDER BY created_at, saga_id
        """
        values = [status.value for status in statuses]
        rows = await self._execute(
            "list saga states", lambda connection: connection.execute(query, values).fetchall()
        )
        return [_state(row) for row in rows]


def _state(row: Sequence[Any]) -> SagaState:
    return state_from_row((*row[:8], *map(parse_time, row[8:])))


__all__ = ["SQLiteSagaStateStore"]
