"""The SQLite side of the commands: the file's schema version, migrating, opening it.

Projections and sagas keep their tables as features of their own (see the stores), which a
file gets when one first runs there; `feature_version` reads whether it has them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from orchestrix.cli.backends import Projections, ReadableStore
from orchestrix.cli.errors import CliError
from orchestrix.cli.schema import PendingMigration, SchemaPlan
from orchestrix.cli.store_choice import StoreChoice
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.infrastructure.sqlite.async_store import SQLiteAsyncEventStore
from orchestrix.infrastructure.sqlite.checkpoint_store import SQLiteCheckpointStore
from orchestrix.infrastructure.sqlite.execution_schema import SAGAS
from orchestrix.infrastructure.sqlite.log_head import SQLiteLogHead
from orchestrix.infrastructure.sqlite.projection_schema import PROJECTIONS
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore
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


@asynccontextmanager
async def open_projections(
    store: StoreChoice, checkpoints: str | None
) -> AsyncIterator[Projections]:
    """The event store's file, and the checkpoints in it or in the file `checkpoints`."""
    path = _existing(checkpoints or store.dsn, "for the projections' checkpoints")
    where = f"SQLite file {str(path)!r}"
    async with SQLiteAsyncEventStore(store.dsn) as log, SQLiteLogHead(store.dsn) as head:
        if not feature_version(path, PROJECTIONS.name):
            yield Projections(log, head, None, where)
            return
        async with SQLiteCheckpointStore(path) as opened:
            yield Projections(log, head, opened, where)


@asynccontextmanager
async def open_sagas(store: StoreChoice) -> AsyncIterator[SagaStateStore | None]:
    """The saga store of the file (which may hold sagas only), if it has the tables."""
    path = _existing(store.dsn, "with sagas: pass --dsn with their file")
    if not feature_version(path, SAGAS.name):
        yield None
        return
    async with SQLiteSagaStateStore(path) as sagas:
        yield sagas


def _existing(name: str, purpose: str) -> Path:
    path = Path(name)
    if not path.exists():
        raise CliError(f"No SQLite file at {name!r} {purpose}")
    return path


def file_version(path: Path) -> int:
    """The schema version of the SQLite file at `path` (0 when there is none), read-only."""
    if not path.exists():
        return 0
    return _read(path, schema_version)


def feature_version(path: Path, feature: str) -> int:
    """The version of `feature`'s tables in the existing file at `path` (0: it has none)."""

    def version(connection: sqlite3.Connection) -> int:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            ("feature_schema_versions",),
        ).fetchone()
        if found is None:
            return 0
        (applied,) = connection.execute(
            "SELECT COALESCE(MAX(version), 0) FROM feature_schema_versions WHERE feature = ?",
            (feature,),
        ).fetchone()
        return int(applied)

    return _read(path, version)


def _read[T](path: Path, query: Callable[[sqlite3.Connection], T]) -> T:
    """`query` on a read-only connection to the file at `path`."""
    if not path.is_file():
        raise CliError(f"{str(path)!r} is not a file")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return query(connection)
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise CliError(f"Cannot read the SQLite file {str(path)!r}: {error}") from error


def _dedent(statement: str) -> str:
    lines = [line for line in statement.splitlines() if line.strip()]
    margin = min(len(line) - len(line.lstrip()) for line in lines)
    return "\n".join(line[margin:] for line in lines)


__all__ = [
    "feature_version",
    "file_version",
    "migrate",
    "open_event_store",
    "open_projections",
    "open_sagas",
    "schema_plan",
]
