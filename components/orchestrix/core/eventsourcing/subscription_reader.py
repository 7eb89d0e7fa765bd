"""Reading a store's global log ahead of the projection, then following it as it grows.

A `LogFollower` runs one reader task that appends events to a bounded buffer while the
runner processes the previous batch, so fetching, decoding and projecting overlap. The
runner takes whatever is buffered (up to a batch) as soon as the reader waits for the
database, so a short page is processed at once rather than when a batch fills. Sync logs
(memory, SQLite) are read page by page in a worker thread, async logs directly: a batch at a
time from the stores that offer `read_batches`, else event by event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from itertools import islice

from orchestrix.core.eventsourcing.event_log import (
    AsyncBatchedEventLog,
    AsyncEventLog,
    Checkpoint,
    EventLog,
    RecordedEvent,
    close_reader,
)
from orchestrix.core.eventsourcing.subscription_wake_up import WakeUp

type AnyEventLog = EventLog | AsyncEventLog

MIN_POLL = 0.005
"""First pause after a read of the log found nothing new; it doubles up to the fallback."""


async def read_page(log: AnyEventLog, after: Checkpoint, count: int) -> list[RecordedEvent]:
    """Up to `count` events after `after`, from a sync log (in a worker thread) or an async
    one (closing its iterator afterwards)."""
    records = log.read_all(after, count)
    if isinstance(records, Iterator):
        return await asyncio.to_thread(_take, records, count)
    page: list[RecordedEvent] = []
    async for recorded in records:
        page.append(recorded)
        if len(page) >= count:
            break
    await close_reader(records)
    return page


def _take(records: Iterator[RecordedEvent], count: int) -> list[RecordedEvent]:
    return list(islice(records, count))


async def _batches_in_thread(
    records: Iterator[RecordedEvent], size: int
) -> AsyncIterator[list[RecordedEvent]]:
    """The events of a sync log in batches of `size`, each read in a worker thread."""
    while True:
        batch = await asyncio.to_thread(_take, records, size)
        if batch:
            yield batch
        if len(batch) < size:
            return


class LogFollower:
    """One reader task feeding a bounded buffer of events, from a checkpoint onwards."""

    def __init__(self, log: AnyEventLog, batch_size: int, wake_up: WakeUp) -> None:
        self.log = log
        self.batch_size = batch_size
        self.wake_up = wake_up
        self._high_water = 2 * batch_size
        self._buffer: list[RecordedEvent] = []
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._idle = False  # the reader's last pass reached the end of the log
        self._pass_ended = False
        self._interrupted = False
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, after: Checkpoint) -> None:
        """Start reading after `after` (call `close` before starting again)."""
        self._buffer, self._error, self._idle = [], None, False
        self._task = asyncio.create_task(self._read(after), name="orchestrix-log-follower")

    async def close(self) -> None:
        """Stop the reader and drop what it buffered."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._buffer = []

    @property
    def at_end(self) -> bool:
        """Whether every event of the log read so far has been taken."""
        return self._idle and not self._buffer

    @property
    def buffered(self) -> list[RecordedEvent]:
        """The events read but not taken yet (for lag estimates)."""
        return self._buffer

    def interrupt(self) -> None:
        """Make a waiting `take` return an empty batch now (the runner has news)."""
        self._interrupted = True
        self._ready.set()

    async def take(self) -> list[RecordedEvent]:
        """The next events, up to a batch; empty when the reader reached the end of the log
        or `interrupt` was called. Raises the reader's error, if it failed."""
        while True:
            buffer = self._buffer
            if buffer:
                if len(buffer) <= self.batch_size:
                    self._buffer = []
                else:
                    self._buffer = buffer[self.batch_size :]
                    buffer = buffer[: self.batch_size]
                self._room.set()
                return buffer
            if self._error is not None:
                raise self._error
            if self._pass_ended or self._interrupted:
                self._pass_ended = self._interrupted = False
                return []
            self._ready.clear()
            await self._ready.wait()

    async def _read(self, after: Checkpoint) -> None:
        pause = MIN_POLL
        try:
            while True:
                last = await self._read_pass(after)
                self._idle = self._pass_ended = True
                self._ready.set()
                if last is None:
                    pause = min(pause * 2, self.wake_up.fallback_poll)
                else:
                    after, pause = last.checkpoint, MIN_POLL
                await self.wake_up.wait(pause)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._error = error
            self._ready.set()

    async def _read_pass(self, after: Checkpoint) -> RecordedEvent | None:
        """Read the log after `after` to its end; returns the last event read."""
        log = self.log
        if isinstance(log, AsyncBatchedEventLog):
            return await self._read_batches(log.read_batches(after, self.batch_size))
        records = log.read_all(after, self.batch_size)
        if isinstance(records, Iterator):
            return await self._read_batches(_batches_in_thread(records, self.batch_size))
        return await self._read_async(records)

    async def _read_async(self, records: AsyncIterator[RecordedEvent]) -> RecordedEvent | None:
        recorded: RecordedEvent | None = None
        async for recorded in records:
            buffer = self._buffer
            buffer.append(recorded)
            if len(buffer) == 1:
                self._idle = False
                self._ready.set()
            elif len(buffer) >= self._high_water:
                await self._make_room()
        return recorded

    async def _read_batches(
        self, batches: AsyncIterator[Sequence[RecordedEvent]]
    ) -> RecordedEvent | None:
        last: RecordedEvent | None = None
        async for batch in batches:
            if batch:
                last = batch[-1]
                self._buffer.extend(batch)
                self._idle = False
                self._ready.set()
                await self._make_room()
        return last

    async def _make_room(self) -> None:
        while len(self._buffer) >= self._high_water:
            self._room.clear()
            await self._room.wait()


__all__ = ["MIN_POLL", "AnyEventLog", "LogFollower", "read_page"]
