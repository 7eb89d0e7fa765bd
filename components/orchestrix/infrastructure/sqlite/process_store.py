"""Process-manager instances in SQLite: one guarded statement per save, like the saga states."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from orchestrix.core.execution.errors import ProcessConcurrencyError
from orchestrix.core.execution.process_instance import ProcessInstance
from orchestrix.core.execution.process_records import (
    INSTANCE_COLUMNS,
    instance_from_row,
    instance_values,
)
from orchestrix.infrastructure.sqlite._feature import SQLiteFeature
from orchestrix.infrastructure.sqlite._times import parse_time, utc_text
from orchestrix.infrastructure.sqlite.execution_schema import SAGAS

_COLUMNS = ", ".join(INSTANCE_COLUMNS)
_VALUES = ", ".join(f":{name}" for name in INSTANCE_COLUMNS)
_UPDATES = ", ".join(f"{name} = :{name}" for name in INSTANCE_COLUMNS[2:])
_KEY = "process_type = :process_type AND process_id = :process_id"
_INSERT = f"INSERT INTO process_instances ({_COLUMNS}) VALUES ({_VALUES}) ON CONFLICT DO NOTHING"
_UPDATE = f"UPDATE process_instances SET {_UPDATES} WHERE {_KEY} AND version = :expected"
_VERSION = f"SELECT version FROM process_instances WHERE {_KEY}"
_LOAD = f"SELECT {_COLUMNS} FROM process_instances WHERE {_KEY}"
_PENDING = f"""
    SELECT {_COLUMNS} FROM process_instances WHERE process_type = ? AND has_pending
    ORDER BY created_at, process_id
"""


class SQLiteProcessStateStore(SQLiteFeature):
    """`ProcessStateStore` on the `process_instances` table of a SQLite file."""

    schema = SAGAS
    role = "process store"

    async def load_instance(self, process_type: str, process_id: str) -> ProcessInstance | None:
        key = {"process_type": process_type, "process_id": process_id}
        row = await self._execute(
            f"load process instance {process_type}/{process_id}",
            lambda connection: connection.execute(_LOAD, key).fetchone(),
        )
        return None if row is None else _instance(row)

    async def save_instance(self, instance: ProcessInstance, expected_version: int) -> None:
        values = instance_values(instance)
        row = dict(zip(INSTANCE_COLUMNS, (*values[:-2], *map(utc_text, values[-2:])), strict=True))
        row["expected"] = expected_version

        def save(connection: sqlite3.Connection) -> int | None:
            statement = _INSERT if expected_version == 0 else _UPDATE
            if connection.execute(statement, row).rowcount:
                return None
            found = connection.execute(_VERSION, row).fetchone()
            return 0 if found is None else int(found[0])

        where = f"{instance.process_type}/{instance.process_id}"
        actual = await self._execute(f"save process instance {where}", save)
        if actual is not None:
            raise ProcessConcurrencyError(where, expected_version, actual)

    async def list_with_pending(self, process_type: str) -> list[ProcessInstance]:
        rows = await self._execute(
            "list process instances",
            lambda connection: connection.execute(_PENDING, (process_type,)).fetchall(),
        )
        return [_instance(row) for row in rows]


def _instance(row: Sequence[Any]) -> ProcessInstance:
    return instance_from_row((*row[:-2], *map(parse_time, row[-2:])))


__all__ = ["SQLiteProcessStateStore"]
