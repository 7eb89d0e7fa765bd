"""How far a projection is behind the head of the log, in events and in seconds.

`seconds` is the age of the oldest event the projection has not processed yet (0 when it is
caught up): how stale its read model is. A `LogHead` answers for one store; each backend has
one that asks the database, and `ScanningLogHead` works for any log by reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.subscription_reader import AnyEventLog, read_page


@dataclass(frozen=True, slots=True)
class Lag:
    """Events stored after the projection's checkpoint, and the age of the oldest one."""

    events: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Backlog:
    """What a log holds after a checkpoint: how many events, and when the first was stored."""

    count: int
    oldest: datetime | None

    def lag(self, now: datetime | None = None) -> Lag:
        if self.oldest is None or not self.count:
            return Lag(0, 0.0)
        now = datetime.now(UTC) if now is None else now
        return Lag(self.count, max((now - self.oldest).total_seconds(), 0.0))


class LogHead(Protocol):
    """The end of a store's log, as readers can see it."""

    async def head(self) -> Checkpoint:
        """The checkpoint of the last readable event (START for an empty log)."""
        ...

    async def backlog(self, after: Checkpoint) -> Backlog:
        """The events readable after `after`."""
        ...


class ScanningLogHead:
    """A `LogHead` for any log: it reads the events (cheap in memory, slow when durable)."""

    def __init__(self, log: AnyEventLog, page_size: int = 10_000) -> None:
        self.log = log
        self.page_size = page_size

    async def head(self) -> Checkpoint:
        last = START
        while page := await read_page(self.log, last, self.page_size):
            last = page[-1].checkpoint
        return last

    async def backlog(self, after: Checkpoint) -> Backlog:
        count, oldest = 0, None
        while page := await read_page(self.log, after, self.page_size):
            if oldest is None:
                oldest = page[0].event.timestamp
            count += len(page)
            after = page[-1].checkpoint
        return Backlog(count, oldest)


__all__ = ["Backlog", "Lag", "LogHead", "ScanningLogHead"]
