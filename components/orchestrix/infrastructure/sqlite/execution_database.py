"""One SQLite connection run by a worker thread, for the async saga, process and deadline
stores: the event loop never waits on the file, and SQL runs in one place.

Durability follows the event store: `synchronous="FULL"` (the default) fsyncs every commit, as
a saved saga step is a promise; "NORMAL" is several times faster and loses nothing when only
the process dies.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from orchestrix.core.common.exceptions import StoreError
from orchestrix.infrastructure.sqlite._driver import (
    DriverErrors,
    Synchronous,
    check_synchronous,
    connect,
)
from orchestrix.infrastructure.sqlite.execution_schema import migrate


class ExecutionDatabase:
    """The file at `path` (or `":memory:"`), opened in the worker on first use."""

    def __init__(self, path: str | os.PathLike[str], synchronous: Synchronous = "FULL") -> None:
        check_synchronous(synchronous)
        self.path = path
        self._synchronous: Synchronous = synchronous
        self._connection: sqlite3.Connection | None = None
        self._closed = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orchestrix-exec")

    async def run[T](self, action: str, call: Callable[[sqlite3.Connection], T]) -> T:
        """`call(connection)` in the worker; sqlite3 errors become `StoreError` naming `action`."""
        if self._closed:
            raise StoreError(f"Cannot {action}: the SQLite store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, self._call, action, call)

    def _call[T](self, action: str, call: Callable[[sqlite3.Connection], T]) -> T:
        with DriverErrors(f"Cannot {action}"):
            if self._connection is None:
                self._connection = connect(self.path, self._synchronous, migrate, "saga store")
            return call(self._connection)

    async def close(self) -> None:
        """Close the file once the calls already made have run; later calls raise StoreError."""
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._worker, self._release)
        finally:
            self._worker.shutdown(wait=False)

    def _release(self) -> None:
        if self._connection is not None:
            self._connection.close()


def utc_text(moment: datetime | None) -> str | None:
    """`moment` as UTC ISO text with microseconds, so text order is time order."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


__all__ = ["ExecutionDatabase", "parse_time", "utc_text"]
