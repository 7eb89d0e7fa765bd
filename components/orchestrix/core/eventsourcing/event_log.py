"""The global log: every stored event in commit order, for projections that catch up.

A `Checkpoint` marks a place in the log. Stores whose writers commit one at a time (memory,
SQLite) only need the position; PostgreSQL orders concurrent transactions by transaction id
first (SPEC §4), so a checkpoint is the pair `(tx_id, position)`, compared in that order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, NamedTuple, Protocol, runtime_checkable

from orchestrix.core.messaging.message import Event


@dataclass(frozen=True, order=True, slots=True)
class Checkpoint:
    """A place in the global log; reading resumes strictly after it."""

    tx_id: int = 0
    position: int = 0


START = Checkpoint()


class RecordedEvent(NamedTuple):
    """A stored event with where it sits: its stream, stream version and global position.

    A named tuple rather than a frozen dataclass: catch-up builds one per event, and a tuple
    is several times cheaper to create.
    """

    event: Event
    aggregate_id: str
    version: int
    position: int
    tx_id: int = 0

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.tx_id, self.position)


def recorded_events(
    events: Iterable[Event],
    aggregate_ids: Iterable[str],
    versions: Iterable[int],
    positions: Iterable[int],
    tx_ids: Iterable[int],
) -> list[RecordedEvent]:
    """`RecordedEvent`s from columns of a batch. A named tuple's `__new__` and `_make` are
    Python functions; `tuple.__new__` mapped over the rows builds the same tuples in C."""
    # not strict: stores without transaction ids pass an endless `repeat(0)`
    rows: Iterator[tuple[Any, ...]] = zip(
        events, aggregate_ids, versions, positions, tx_ids, strict=False
    )
    return list(map(tuple.__new__, repeat(RecordedEvent), rows))


class EventLog(Protocol):
    """A store whose whole log can be read after a checkpoint, synchronously."""

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> Iterator[RecordedEvent]:
        """Every event committed after `after`, in log order, fetched `batch_size` at a time."""
        ...


class AsyncEventLog(Protocol):
    """The asynchronous twin of `EventLog`."""

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event committed after `after`, in log order, fetched `batch_size` at a time."""
        ...


@runtime_checkable
class AsyncBatchedEventLog(AsyncEventLog, Protocol):
    """An `AsyncEventLog` that also hands its events over a batch at a time: a projection
    runner then takes each batch in one step instead of one asynchronous step per event."""

    def read_batches(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[Sequence[RecordedEvent]]:
        """The events `read_all` yields, in the same order, as the batches it fetched (none
        empty)."""
        ...


async def each_event(
    batches: AsyncIterator[Sequence[RecordedEvent]],
) -> AsyncIterator[RecordedEvent]:
    """The events of `batches` one by one: `read_all` of a store that reads batches."""
    try:
        async for batch in batches:
            for recorded in batch:
                yield recorded
    finally:
        await close_reader(batches)


async def close_reader(records: AsyncIterator[Any]) -> None:
    """Close a log reader that was left before its end, when it can be closed (an async
    generator): its store's cleanup then runs now rather than when it is collected."""
    close = getattr(records, "aclose", None)
    if close is not None:
        await close()


__all__ = [
    "START",
    "AsyncBatchedEventLog",
    "AsyncEventLog",
    "Checkpoint",
    "EventLog",
    "RecordedEvent",
    "close_reader",
    "each_event",
    "recorded_events",
]
