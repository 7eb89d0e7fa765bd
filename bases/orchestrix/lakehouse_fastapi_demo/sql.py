"""One way to run the read model's SQL on SQLite and on PostgreSQL.

The statements are written once, with `?` placeholders and `{p}` before each table name; a
`Sql` turns them into the backend's dialect: SQLite takes them as they are (`{p}` empty),
PostgreSQL gets `$1, $2, ...` and its schema as the prefix. Both adapters work on the
connection they are given, so inside a projection batch they write in its transaction.
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache
from typing import Any, Protocol

type Row = tuple[Any, ...]

_PLACEHOLDER = re.compile(r"\?")


class Sql(Protocol):
    async def execute(self, statement: str, *args: Any) -> None: ...

    async def fetch(self, statement: str, *args: Any) -> list[Row]: ...


class SQLiteSql:
    """`Sql` on a `sqlite3.Connection` (short statements, run on the calling thread)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    async def execute(self, statement: str, *args: Any) -> None:
        self.connection.execute(_sqlite(statement), args)

    async def fetch(self, statement: str, *args: Any) -> list[Row]:
        return self.connection.execute(_sqlite(statement), args).fetchall()


class PostgreSQLSql:
    """`Sql` on an asyncpg connection, with tables in `schema`."""

    def __init__(self, connection: Any, schema: str) -> None:
        self.connection = connection
        self.schema = schema

    async def execute(self, statement: str, *args: Any) -> None:
        await self.connection.execute(_postgres(statement, self.schema), *args)

    async def fetch(self, statement: str, *args: Any) -> list[Row]:
        return [
            tuple(row)
            for row in await self.connection.fetch(_postgres(statement, self.schema), *args)
        ]


@cache
def _sqlite(statement: str) -> str:
    return statement.replace("{p}", "")


@cache
def _postgres(statement: str, schema: str) -> str:
    numbers = iter(range(1, 1000))
    numbered = _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", statement)
    return numbered.replace("{p}", f'"{schema}".')


__all__ = ["PostgreSQLSql", "Row", "SQLiteSql", "Sql"]
