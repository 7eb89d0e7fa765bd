"""Dead-letter queues: where a message goes when a handler keeps failing on it.

A bus configured with a queue parks each exhausted delivery here (with the reason, the number
of attempts and the failing handler) instead of raising, so one poison message does not stop
the caller and nothing is silently dropped. The methods are synchronous so that both the sync
and the async bus can use the same queue.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from orchestrix.core.messaging.message import Message


class DeadLetterReason(StrEnum):
    """Why the in-process buses dead-letter a delivery; other transports may add their own."""

    HANDLER_FAILED = "handler_failed"
    """The handler failed and no retry was allowed."""

    RETRIES_EXHAUSTED = "retries_exhausted"
    """The handler failed, was retried, and the retry policy gave up."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DeadLetteredMessage:
    """One failed delivery: the message, which handler failed, how often, and with what error.

    The error is kept as its type name and text rather than the exception object, so entries
    stay plain data that can be stored, logged or shown.
    """

    message: Message
    reason: str
    attempts: int
    handler_name: str
    error_type: str
    error_message: str
    dead_lettered_at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be 1 or more, got {self.attempts!r}")
        if self.dead_lettered_at.utcoffset() is None:
            raise ValueError("dead_lettered_at must be timezone-aware")

    @classmethod
    def from_error(
        cls, message: Message, error: Exception, *, reason: str, attempts: int, handler_name: str
    ) -> DeadLetteredMessage:
        """The entry for `handler_name` having failed on `message` with `error`."""
        return cls(
            message=message,
            reason=reason,
            attempts=attempts,
            handler_name=handler_name,
            error_type=type(error).__name__,
            error_message=str(error),
        )


class DeadLetterQueue(Protocol):
    """Keeps failed deliveries until someone inspects, replays or discards them."""

    def enqueue(self, entry: DeadLetteredMessage) -> None:
        """Park a failed delivery."""
        ...

    def dequeue_all(self) -> list[DeadLetteredMessage]:
        """Take every parked delivery out of the queue, oldest first."""
        ...

    def clear(self) -> None:
        """Discard every parked delivery."""
        ...

    def count(self) -> int:
        """The number of parked deliveries."""
        ...

    def get_by_message_id(self, message_id: str) -> list[DeadLetteredMessage]:
        """The parked deliveries of one message (one per failed handler), oldest first."""
        ...

    def get_by_reason(self, reason: str) -> list[DeadLetteredMessage]:
        """The parked deliveries with this reason, oldest first."""
        ...


class InMemoryDeadLetterQueue:
    """A `DeadLetterQueue` in a list behind a lock, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[DeadLetteredMessage] = []

    def enqueue(self, entry: DeadLetteredMessage) -> None:
        if not isinstance(entry, DeadLetteredMessage):
            raise TypeError(f"expected a DeadLetteredMessage, got {type(entry).__name__}")
        with self._lock:
            self._entries.append(entry)

    def dequeue_all(self) -> list[DeadLetteredMessage]:
        with self._lock:
            entries, self._entries = self._entries, []
        return entries

    def clear(self) -> None:
        with self._lock:
            self._entries = []

    def count(self) -> int:
        with self._lock:
            return len(self._entries)

    def get_by_message_id(self, message_id: str) -> list[DeadLetteredMessage]:
        with self._lock:
            return [entry for entry in self._entries if entry.message.id == message_id]

    def get_by_reason(self, reason: str) -> list[DeadLetteredMessage]:
        with self._lock:
            return [entry for entry in self._entries if entry.reason == reason]


__all__ = [
    "DeadLetterQueue",
    "DeadLetterReason",
    "DeadLetteredMessage",
    "InMemoryDeadLetterQueue",
]
