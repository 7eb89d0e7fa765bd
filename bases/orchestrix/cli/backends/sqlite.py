"""The SQLite side of the commands: the file's schema version, migrating, opening it."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from orchestrix.cli.backends import ReadableStore
from orchestrix.cli.errors import CliError
from orchestrix.cli.schema import PendingMigration, SchemaPlan
from orchestrix.cli.store_choice import StoreChoice
from orchestrix.infrastructure.sqlite.async_store import SQLiteAsyncEventStore
from orchestrix.infrastructure.sqlite.schema import MIGRATIONS, schema_version
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore


async def schema_plan(store: StoreChoice) -> SchemaPlan:
    """The file's version and missing migrations; a missing file is at version 0."""
    current = file_version(Path(store.dsn))
    pending = tuple(
        PendingMigration(number, "", ";\n\n".join(_dedent(sql) for sql in MIGRATIONS[number - 1]))
        for number in range(current + 1, len(MIGRATIONS) + 1)
    )
    return SchemaPlan(current, len(MIGRATIONS), pending)


async def migrate(store: StoreChoice) -> list[int]:
    """Create or upgrade the file: opening a store migrates it, under the write lock."""
    path = Path(store.dsn)
    before = file_version(path)
    SQLiteEventStore(path).close()
    return list(range(before + 1, file_version(path) + 1))


def open_event_store(store: StoreChoice) -> AbstractAsyncContextManager[ReadableStore]:
    """The async SQLite store on the file (`async with` opens and closes it)."""
    return SQLiteAsyncEventStore(store.dsn)


def file_version(path: Path) -> int:
    """The schema version of the SQLite file at `path` (0 when there is none), read-only."""
    if not path.exists():
        return 0
    if not path.is_file():
        raise CliError(f"{str(path)!r} is not a file")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return schema_version(connection)
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise CliError(f"Cannot read the SQLite file {str(path)!r}: {error}") from error


def _dedent(statement: str) -> str:
    lines = [line for line in statement.splitlines() if line.strip()]
    margin = min(len(line) - len(line.lstrip()) for line in lines)
    return "\n".join(line[margin:] for line in lines)


__all__ = ["file_version", "migrate", "open_event_store", "schema_plan"]
