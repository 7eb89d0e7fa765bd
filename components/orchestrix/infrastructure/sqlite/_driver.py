"""The boundary with the `sqlite3` driver: opening connections, transactions, error translation.

Durability: `synchronous=FULL` is the default. In WAL mode, NORMAL never corrupts the file but
may lose the last commits on power loss or an OS crash; a `save` that returned is a promise to
the caller, who may already have published the events, so the store keeps it by default and
pays an fsync per commit. `synchronous="NORMAL"` trades that for several times faster small
commits (a crash of the process alone still loses nothing).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Literal, get_args

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.common.validation import ValidationError
from orchestrix.infrastructure.sqlite.schema import migrate

type Synchronous = Literal["FULL", "NORMAL"]

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a writer waits for another connection's write transaction before giving up."""


class DriverErrors:
    """A reusable context that turns `sqlite3` errors into `StoreError`, keeping the cause."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(error, sqlite3.Error):
            raise StoreError(f"{self.action}: {error}") from error


@contextmanager
def immediate_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the database's write lock at once.

    `BEGIN IMMEDIATE` makes the read of a stream's version and the insert after it atomic
    across processes, and avoids the deadlock of two readers upgrading to writers.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if connection.in_transaction:
            # A failing rollback must not hide the error that caused it.
            with suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def check_synchronous(synchronous: object) -> None:
    """Reject anything but the two levels offered (the value is spliced into a PRAGMA)."""
    if synchronous not in get_args(Synchronous.__value__):
        raise ValidationError("must be 'FULL' or 'NORMAL'", "synchronous", synchronous)


def connect(
    path: str | os.PathLike[str],
    synchronous: Synchronous,
    schema: Callable[[sqlite3.Connection], None] = migrate,
    role: str = "event store",
) -> sqlite3.Connection:
    """A connection in autocommit mode with the store's pragmas and an up-to-date schema.

    `schema` migrates the tables of the store opening it (the event store's by default).
    """
    check_synchronous(synchronous)
    with DriverErrors(f"Cannot open the SQLite {role} at {os.fspath(path)!r}"):
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {synchronous}")  # checked above
            with immediate_transaction(connection):
                schema(connection)
        except BaseException:
            connection.close()
            raise
    return connection


__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "DriverErrors",
    "Synchronous",
    "check_synchronous",
    "connect",
    "immediate_transaction",
]
