"""Projection checkpoints in a SQLite file, committed together with the read model.

`SQLiteCheckpointStore` is exactly-once: a transaction takes the file's write lock
(`BEGIN IMMEDIATE`) and hands handlers its `sqlite3.Connection`, so the rows they write and
the checkpoint commit or roll back as one. Keep the read model's tables in this file (it may
be the event store's own file). Blocking steps (waiting for the write lock, the commit's
fsync) run on a worker thread; handlers' statements run on the event loop's thread, which is
fine for SQLite's short statements. One transaction at a time uses the connection; other
calls wait for it.

SQLite has one writer at a time and no queue: a connection waiting for the write lock retries
on a timer (up to 100 ms apart), so a projection committing batch after batch would starve
other writers, the event store's saves among them, for as long as it catches up. After each
transaction the store therefore leaves the lock free for `fairness` times the transaction's
length (at least a millisecond) before it begins the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable
from types import TracebackType

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.projection_errors import CheckpointConflictError
from orchestrix.core.eventsourcing.projection_state import ProjectionState
from orchestrix.infrastructure.sqlite import _projection_rows as rows
from orchestrix.infrastructure.sqlite._driver import Synchronous
from orchestrix.infrastructure.sqlite._feature import SQLiteFeature
from orchestrix.infrastructure.sqlite.projection_lock import SQLiteProjectionLock
from orchestrix.infrastructure.sqlite.projection_schema import PROJECTIONS

MIN_GAP = 0.001
"""Seconds the write lock stays free after a transaction, however short it was."""


class SQLiteCheckpointStore(SQLiteFeature):
    """An exactly-once `CheckpointStore` in one SQLite file."""

    schema = PROJECTIONS
    role = "checkpoint store"
    exactly_once = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "FULL",
        fairness: float = 0.25,
    ) -> None:
        if isinstance(fairness, bool) or not isinstance(fairness, int | float) or fairness < 0:
            raise ValidationError("must be a number, zero or more", "fairness", fairness)
        super().__init__(path, synchronous=synchronous)
        self.fairness = fairness
        self._free_until = 0.0  # event-loop time before which no transaction begins
        self._busy = asyncio.Lock()  # one transaction at a time uses the connection

    @property
    def path(self) -> str | os.PathLike[str]:
        """The SQLite file; the projections' lock files sit beside it."""
        return self._path

    async def _locked[T](self, action: str, call: Callable[[sqlite3.Connection], T]) -> T:
        """`_execute`, once no transaction holds the connection."""
        async with self._busy:
            return await self._execute(action, call)

    async def close(self) -> None:
        """Close the file once the transaction in progress ends; later calls raise StoreError."""
        async with self._busy:
            await super().close()

    async def load_state(self, projection_id: str) -> ProjectionState | None:
        found = await self._locked(
            f"load the checkpoint of projection {projection_id!r}",
            lambda connection: connection.execute(rows.SELECT_STATE, (projection_id,)).fetchone(),
        )
        return None if found is None else rows.state_from_row(found)

    async def save_state(self, state: ProjectionState) -> None:
        await self._locked(
            f"save the checkpoint of projection {state.projection_id!r}",
            lambda connection: connection.execute(rows.UPSERT_STATE, rows.state_row(state)),
        )

    async def delete_state(self, projection_id: str) -> None:
        await self._locked(
            f"delete the checkpoint of projection {projection_id!r}",
            lambda connection: connection.execute(rows.DELETE_STATE, (projection_id,)),
        )

    async def states(self) -> list[ProjectionState]:
        found = await self._locked(
            "list the projections' checkpoints",
            lambda connection: connection.execute(rows.SELECT_STATES).fetchall(),
        )
        return [rows.state_from_row(row) for row in found]

    def transaction(self) -> _SQLiteTransaction:
        return _SQLiteTransaction(self)

    async def dead_letters(self, projection_id: str) -> list[DeadLetteredEvent]:
        found = await self._locked(
            f"read the dead letters of projection {projection_id!r}",
            lambda connection: connection.execute(
                rows.SELECT_DEAD_LETTERS, (projection_id,)
            ).fetchall(),
        )
        return [rows.dead_letter_from_values(row) for row in found]

    async def live(self, name: str) -> str | None:
        found = await self._locked(
            f"read the live version of {name!r}",
            lambda connection: connection.execute(rows.SELECT_LIVE, (name,)).fetchone(),
        )
        return None if found is None else str(found[0])

    def lock(self, projection_id: str) -> SQLiteProjectionLock:
        return SQLiteProjectionLock(self.path, projection_id)


def _begin(connection: sqlite3.Connection) -> sqlite3.Connection:
    connection.execute("BEGIN IMMEDIATE")
    return connection


def _finish(connection: sqlite3.Connection, commit: bool) -> None:
    if not connection.in_transaction:
        return
    if commit:
        try:
            connection.execute("COMMIT")
            return
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
    connection.execute("ROLLBACK")


def _save_state(
    connection: sqlite3.Connection, state: ProjectionState, expected: Checkpoint
) -> None:
    if expected == START:
        changed = connection.execute(rows.CREATE_STATE, rows.state_row(state)).rowcount
    else:
        changed = connection.execute(
            rows.MOVE_STATE,
            (*rows.state_values(state), state.projection_id, expected.tx_id, expected.position),
        ).rowcount
    if changed != 1:
        found = connection.execute(rows.SELECT_STATE, (state.projection_id,)).fetchone()
        actual = None if found is None else rows.state_from_row(found).checkpoint
        raise CheckpointConflictError(state.projection_id, expected, actual)


class _SQLiteTransaction:
    """`BEGIN IMMEDIATE` … `COMMIT` on the store's connection, which handlers write with."""

    def __init__(self, store: SQLiteCheckpointStore) -> None:
        self._store = store
        self._began = 0.0
        self.connection: sqlite3.Connection | None = None

    async def __aenter__(self) -> _SQLiteTransaction:
        store, loop = self._store, asyncio.get_running_loop()
        await store._busy.acquire()
        try:
            if (pause := store._free_until - loop.time()) > 0:
                await asyncio.sleep(pause)  # other writers' turn (see the module docstring)
            self._began = loop.time()
            self.connection = await store._execute("begin a projection transaction", _begin)
        except BaseException:
            store._busy.release()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        store, loop = self._store, asyncio.get_running_loop()
        try:
            await store._execute(
                "end a projection transaction",
                lambda connection: _finish(connection, error is None),
            )
        finally:
            held = loop.time() - self._began
            store._free_until = loop.time() + max(MIN_GAP, store.fairness * held)
            store._busy.release()

    async def save_state(self, state: ProjectionState, expected: Checkpoint) -> None:
        await self._store._execute(
            f"save the checkpoint of projection {state.projection_id!r}",
            lambda connection: _save_state(connection, state, expected),
        )

    async def dead_letter(self, entry: DeadLetteredEvent) -> None:
        row = rows.dead_letter_values(entry)
        await self._store._execute(
            f"dead-letter event {entry.event_id!r}",
            lambda connection: connection.execute(rows.UPSERT_DEAD_LETTER, row),
        )

    async def resolve_dead_letter(self, projection_id: str, event_id: str) -> None:
        await self._store._execute(
            f"resolve the dead letter {event_id!r}",
            lambda connection: connection.execute(
                rows.DELETE_DEAD_LETTER, (projection_id, event_id)
            ),
        )

    async def discard_dead_letters(self, projection_id: str) -> None:
        await self._store._execute(
            f"discard the dead letters of projection {projection_id!r}",
            lambda connection: connection.execute(rows.DELETE_DEAD_LETTERS, (projection_id,)),
        )

    async def set_live(self, name: str, projection_id: str) -> None:
        await self._store._execute(
            f"make {projection_id!r} the live version of {name!r}",
            lambda connection: connection.execute(rows.UPSERT_LIVE, (name, projection_id)),
        )


__all__ = ["SQLiteCheckpointStore"]
