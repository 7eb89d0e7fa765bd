"""The ports every event store implements, sync and async.

Semantics shared by all implementations (SPEC §4): a stream's version is its number of events;
`save` is atomic and checks `expected_version` when given; `load` returns the events after
`from_version` as the classes that were saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from orchestrix.core.common.exceptions import EventEncodingError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Event


class EventStore(Protocol):
    """A synchronous event store with optimistic concurrency."""

    def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> None:
        """Append `events` atomically; raise ConcurrencyError if the version differs."""
        ...

    def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The stream's events whose version is greater than `from_version`, in order."""
        ...


class AsyncEventStore(Protocol):
    """The asynchronous twin of `EventStore`."""

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> None:
        """Append `events` atomically; raise ConcurrencyError if the version differs."""
        ...

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The stream's events whose version is greater than `from_version`, in order."""
        ...


def validate_stream_id(aggregate_id: object) -> None:
    """Reject stream ids a database would store under another identity or not at all:
    non-strings, lone surrogates (not encodable as UTF-8) and NUL characters."""
    if not isinstance(aggregate_id, str):
        raise ValidationError("must be a string", "aggregate_id", aggregate_id)
    if not aggregate_id.isascii():
        try:
            aggregate_id.encode()
        except UnicodeEncodeError as error:
            message = "must be valid Unicode text"
            raise ValidationError(message, "aggregate_id", aggregate_id) from error
    if "\x00" in aggregate_id:
        raise ValidationError("must not contain NUL characters", "aggregate_id", aggregate_id)


def validate_events(events: Sequence[object]) -> None:
    """Reject a batch holding anything but events (a command, a dict, None)."""
    for event in events:
        if not isinstance(event, Event):
            raise EventEncodingError(f"Only events can be saved, not {type(event).__qualname__}")


__all__ = ["AsyncEventStore", "EventStore", "validate_events", "validate_stream_id"]
