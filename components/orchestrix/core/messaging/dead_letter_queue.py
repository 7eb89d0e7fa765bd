"""Dead-letter queues: where a message goes when a handler keeps failing on it.

A bus configured with a queue parks each exhausted delivery here (with the reason, the number
of failed attempts and the failing handler) instead of raising, so one poison message does not
stop the caller and nothing is silently dropped. The queue can also be used on its own. The
methods are synchronous so that both the sync and the async bus can use the same queue.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from orchestrix.core.messaging.message import Message


class DeadLetterReason(StrEnum):
    """Why the in-process buses dead-letter a delivery; other transports may add their own."""

    HANDLER_FAILED = "handler_failed"
    """The handler failed and no retry was allowed."""

    RETRIES_EXHAUSTED = "retries_exhausted"
    """The handler failed, was retried, and the retry policy gave up."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeadLetteredMessage:
    """One failed delivery: the message, why, how often it failed, and which handler failed.

    `DeadLetteredMessage(message, reason, failure_count)` is the first release's shape. The
    buses also fill in the handler and the error, kept as type name and text rather than the
    exception object, so entries stay plain data that can be stored, logged or shown.
    """

    message: Message
    reason: str
    failure_count: int
    timestamp: datetime = field(default_factory=_now)
    handler_name: str | None = None
    error_type: str | None = None
    error_message: str | None = None

    @classmethod
    def from_error(
        cls,
        message: Message,
        error: BaseException,
        *,
        reason: str,
        failure_count: int,
        handler_name: str,
    ) -> DeadLetteredMessage:
        """The entry for `handler_name` having failed `failure_count` times, last with `error`."""
        return cls(
            message=message,
            reason=reason,
            failure_count=failure_count,
            handler_name=handler_name,
            error_type=type(error).__name__,
            error_message=str(error),
        )


class DeadLetterQueue(ABC):
    """Keeps failed deliveries until someone inspects, replays or discards them.

    A real ABC: a subclass must implement all four methods before it can be instantiated.
    """

    @abstractmethod
    def enqueue(self, dead_lettered: DeadLetteredMessage) -> None:
        """Park a failed delivery."""

    @abstractmethod
    def dequeue_all(self) -> list[DeadLetteredMessage]:
        """Take every parked delivery out of the queue, oldest first."""

    @abstractmethod
    def clear(self) -> None:
        """Discard every parked delivery."""

    @abstractmethod
    def count(self) -> int:
        """The number of parked deliveries."""


class InMemoryDeadLetterQueue(DeadLetterQueue):
    """A `DeadLetterQueue` in a list behind a lock, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[DeadLetteredMessage] = []

    def enqueue(self, dead_lettered: DeadLetteredMessage) -> None:
        """Park a failed delivery; the same message may be parked any number of times."""
        if not isinstance(dead_lettered, DeadLetteredMessage):
            raise TypeError(f"expected a DeadLetteredMessage, got {type(dead_lettered).__name__}")
        with self._lock:
            self._entries.append(dead_lettered)

    def dequeue_all(self) -> list[DeadLetteredMessage]:
        """Remove and return every parked delivery, oldest first."""
        with self._lock:
            entries, self._entries = self._entries, []
        return entries

    def peek_all(self) -> list[DeadLetteredMessage]:
        """Every parked delivery, oldest first, leaving them in the queue."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries = []

    def count(self) -> int:
        with self._lock:
            return len(self._entries)

    def get_by_message_id(self, message_id: str) -> DeadLetteredMessage | None:
        """The oldest parked delivery of that message, or None."""
        with self._lock:
            return next((entry for entry in self._entries if entry.message.id == message_id), None)

    def get_by_reason(self, reason: str) -> list[DeadLetteredMessage]:
        """The parked deliveries whose reason is exactly `reason`, oldest first."""
        with self._lock:
            return [entry for entry in self._entries if entry.reason == reason]


__all__ = [
    "DeadLetterQueue",
    "DeadLetterReason",
    "DeadLetteredMessage",
    "InMemoryDeadLetterQueue",
]
