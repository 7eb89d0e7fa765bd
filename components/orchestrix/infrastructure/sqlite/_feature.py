"""The plumbing shared by the SQLite outbox and inbox: one connection, one worker thread.

Each feature opens its connection on first use, in its worker thread, with its own tables
migrated (see `_module_schema`); every call then runs in that thread, so the event loop never
waits on SQLite's locks or fsyncs.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Self

from orchestrix.core.common.exceptions import StoreError
from orchestrix.infrastructure.sqlite._driver import (
    DriverErrors,
    Synchronous,
    check_synchronous,
    immediate_transaction,
)
from orchestrix.infrastructure.sqlite._module_schema import FeatureMigration, migrate_feature


class SQLiteFeature:
    """Base of a feature stored in a SQLite file: `initialize`, `close`, `async with`."""

    feature: str = ""
    migrations: Sequence[FeatureMigration] = ()

    def __init__(
        self,
        path: str | os.PathLike[str],
        opener: Callable[[str | os.PathLike[str], Synchronous], sqlite3.Connection],
        synchronous: Synchronous,
    ) -> None:
        check_synchronous(synchronous)
        self._path = path
        self._opener = opener
        self._synchronous: Synchronous = synchronous
        self._connection: sqlite3.Connection | None = None
        self._closed = False
        self._worker = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"orchestrix-{self.feature}"
        )

    async def _run[T](self, call: Callable[[sqlite3.Connection], T]) -> T:
        """`call(connection)` in the worker thread; the file opens there on first use."""
        if self._closed:
            raise StoreError(f"The SQLite {self.feature} is closed")
        return await asyncio.get_running_loop().run_in_executor(self._worker, self._call, call)

    def _call[T](self, call: Callable[[sqlite3.Connection], T]) -> T:
        if self._connection is None:
            connection = self._opener(self._path, self._synchronous)
            try:
                creating = DriverErrors(f"Cannot create the {self.feature} tables")
                with creating, immediate_transaction(connection):
                    migrate_feature(connection, self.feature, self.migrations)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return call(self._connection)

    async def initialize(self) -> None:
        """Open the file and create the tables now (the first call does it otherwise)."""
        await self._run(lambda connection: None)

    async def close(self) -> None:
        """Close the file once the calls already made have run; later calls raise."""
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._worker, self._close_file)
        finally:
            self._worker.shutdown(wait=False)

    def _close_file(self) -> None:
        # Runs after every call queued before `close`, so none of them can reopen the file.
        if self._connection is not None:
            self._connection.close()

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


__all__ = ["SQLiteFeature"]
