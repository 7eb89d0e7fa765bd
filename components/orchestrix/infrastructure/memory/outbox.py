"""The outbox of an in-memory event store, for tests of relays and of code that uses one.

It reads the store's own global log, so every event the store saved is in the outbox the moment
the save returns, exactly as the durable stores' outbox tables fill in the save's transaction.
Which entries were sent is kept beside the log; entries up to the first unsent one collapse
into a single position, so memory grows only with entries sent out of order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestrix.core.eventsourcing.event_log import Checkpoint, RecordedEvent
from orchestrix.core.messaging.outbox import OutboxBatch, OutboxEntry, in_stream_order
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@dataclass(eq=False)
class _Batch:
    outbox: InMemoryOutbox
    entries: Sequence[OutboxEntry]

    async def mark_sent(self, entries: Sequence[OutboxEntry]) -> None:
        self.outbox._mark_sent(entries)


class InMemoryOutbox:
    """An `Outbox` over an `InMemoryEventStore` or `InMemoryAsyncEventStore`."""

    def __init__(self, store: InMemoryEventStore | InMemoryAsyncEventStore) -> None:
        self._store = store
        self._lock = asyncio.Lock()
        self._floor = 0  # every position up to here is sent
        self._sent: set[int] = set()  # sent positions above the floor
        self._sent_at: dict[int, datetime] = {}  # sent and not pruned yet
        self._claimed: set[int] = set()

    async def _log(self) -> AsyncIterator[RecordedEvent]:
        log = self._store.read_all(Checkpoint(0, self._floor))
        if isinstance(log, Iterable):
            for recorded in log:
                yield recorded
        else:
            async for recorded in log:
                yield recorded

    @asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[OutboxBatch]:
        """Up to `limit` pending entries no other batch holds, each stream in order."""
        async with self._lock:
            candidates: list[OutboxEntry] = []
            oldest: dict[str, int] = {}
            async for recorded in self._log():
                if len(candidates) >= limit:
                    break
                if recorded.position in self._sent:
                    continue
                oldest.setdefault(recorded.aggregate_id, recorded.version)
                if recorded.position not in self._claimed:
                    candidates.append(
                        OutboxEntry(
                            recorded.position,
                            recorded.aggregate_id,
                            recorded.version,
                            recorded.event,
                        )
                    )
            entries = in_stream_order(candidates, oldest)
            self._claimed.update(entry.position for entry in entries)
        try:
            yield _Batch(self, entries)
        finally:
            self._claimed.difference_update(entry.position for entry in entries)

    def _mark_sent(self, entries: Sequence[OutboxEntry]) -> None:
        now = datetime.now(UTC)
        for entry in entries:
            if entry.position > self._floor:
                self._sent.add(entry.position)
                self._sent_at[entry.position] = now
        while self._floor + 1 in self._sent:
            self._floor += 1
            self._sent.discard(self._floor)

    async def pending_count(self) -> int:
        """How many saved events wait to be published."""
        return sum([1 async for recorded in self._log() if recorded.position not in self._sent])

    async def prune(self, sent_before: datetime) -> int:
        """Forget when the entries sent before `sent_before` were sent; returns how many."""
        old = [position for position, at in self._sent_at.items() if at < sent_before]
        for position in old:
            del self._sent_at[position]
        return len(old)


__all__ = ["InMemoryOutbox"]
