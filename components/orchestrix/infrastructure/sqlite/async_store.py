"""The SQLite event store behind an async interface that never blocks the event loop.

Each store owns one worker thread, which opens the sync `SQLiteEventStore` on first use and
runs every call of it: SQL, encoding and decoding happen there, written once in the sync
store. Upcasting runs on the event loop, because async upcasters may await. A call cancelled
while its save runs does not stop the save: it commits or fails as a whole, as always.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import Self

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite._driver import Synchronous, check_synchronous
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore


@instrumented_store
class SQLiteAsyncEventStore:
    """Async twin of `SQLiteEventStore` (same file format, same guarantees)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        upcasters: UpcasterRegistry | None = None,
        *,
        synchronous: Synchronous = "FULL",
    ) -> None:
        check_synchronous(synchronous)
        self.upcasters = upcasters
        self._path = path
        self._synchronous: Synchronous = synchronous
        self._store: SQLiteEventStore | None = None
        self._closed = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orchestrix-sqlite")

    async def _run[T](self, call: Callable[[SQLiteEventStore], T]) -> T:
        """`call(store)` in the worker thread, in the caller's context (trace, message);
        the store opens there on first use."""
        if self._closed:
            raise StoreError("The SQLite event store is closed")
        in_context = contextvars.copy_context().run
        return await asyncio.get_running_loop().run_in_executor(
            self._worker, in_context, self._call, call
        )

    def _call[T](self, call: Callable[[SQLiteEventStore], T]) -> T:
        if self._store is None:
            self._store = SQLiteEventStore(self._path, synchronous=self._synchronous)
        return call(self._store)

    async def initialize(self) -> None:
        """Open the file and migrate its schema now rather than on first use."""
        await self._run(lambda store: None)

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> None:
        """Append `events` atomically, checking `expected_version` when given."""
        if events:
            await self._run(lambda store: store.save(aggregate_id, events, expected_version))

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version`, upcast when the store has upcasters."""
        events = await self._run(lambda store: store.stored_events(aggregate_id, from_version))
        if self.upcasters is None:
            return events
        return await self.upcasters.upcast_to_latest_async(events)

    async def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event after `after` in commit order (see `SQLiteEventStore.read_all`)."""
        while True:
            batch = await self._run(
                partial(SQLiteEventStore.stored_batch, after=after, batch_size=batch_size)
            )
            if not batch:
                return
            if self.upcasters is not None:
                batch = await self.upcasters.upcast_recorded_async(batch)
            for recorded in batch:
                yield recorded
            after = batch[-1].checkpoint

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        await self._run(lambda store: store.save_snapshot(snapshot))

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The latest snapshot of the aggregate, if any."""
        return await self._run(lambda store: store.load_snapshot(aggregate_id))

    # Both namings on every async store (SPEC §4): the seeds' and the `*_async` ones.
    save_async = save
    load_async = load
    save_snapshot_async = save_snapshot
    load_snapshot_async = load_snapshot

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
        # Runs after every call queued before `close`, so none of them can reopen the file.
        if self._store is not None:
            self._store.close()

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


__all__ = ["SQLiteAsyncEventStore"]
