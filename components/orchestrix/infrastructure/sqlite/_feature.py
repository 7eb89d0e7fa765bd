"""The base of the async stores that keep a feature's own tables in a SQLite file.

The saga, process and deadline stores, the outbox and the inbox: each opens its own
connection in its worker thread, with its feature's tables migrated (see `_feature_schema`),
usually in the event store's file, and runs every statement there.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import ClassVar

from orchestrix.infrastructure.sqlite._driver import (
    DriverErrors,
    Synchronous,
    check_synchronous,
    connect,
)
from orchestrix.infrastructure.sqlite._feature_schema import FeatureSchema
from orchestrix.infrastructure.sqlite._threaded import ThreadedResource


class SQLiteFeature(ThreadedResource[sqlite3.Connection]):
    """A connection to the file at `path` (or `":memory:"`) with the tables of `schema`.

    Durability follows the event store: `synchronous="FULL"` (the default) fsyncs every
    commit; "NORMAL" is several times faster and loses nothing when only the process dies.
    """

    schema: ClassVar[FeatureSchema]

    def __init__(self, path: str | os.PathLike[str], *, synchronous: Synchronous = "FULL") -> None:
        check_synchronous(synchronous)
        self._path = path
        self._synchronous: Synchronous = synchronous
        super().__init__()

    def _open(self) -> sqlite3.Connection:
        return connect(self._path, self._synchronous, self.schema.migrate, self.role)

    def _release(self, connection: sqlite3.Connection) -> None:
        connection.close()

    async def _execute[T](self, action: str, call: Callable[[sqlite3.Connection], T]) -> T:
        """`call(connection)` in the worker; sqlite3 errors become `StoreError` naming
        `action` ("Cannot <action>: ...")."""

        def translated(connection: sqlite3.Connection) -> T:
            with DriverErrors(f"Cannot {action}"):
                return call(connection)

        return await self._run(translated)


__all__ = ["SQLiteFeature"]
