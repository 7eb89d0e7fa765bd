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
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.messaging.message import Event

MAX_ID_BYTES = 1024
"""The longest stream, aggregate or event id every store accepts, in bytes of UTF-8: well
under PostgreSQL's limit on an index entry (about 2.7 KB), and the same for every store."""

INT64_MAX = 2**63 - 1
_METADATA_TEXT = ("correlation_id", "causation_id", "trace_id", "actor_id")


class EventStore(Protocol):
    """A synchronous event store with optimistic concurrency."""

    def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        """Append `events` atomically; raise ConcurrencyError if the version differs.

        Returns the checkpoint of the last event written (None for an empty batch), so a
        caller can wait for projections to pass its own writes.
        """
        ...

    def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The stream's events whose version is greater than `from_version`, in order."""
        ...


class AsyncEventStore(Protocol):
    """The asynchronous twin of `EventStore`."""

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        """Append `events` atomically; raise ConcurrencyError if the version differs.

        Returns the checkpoint of the last event written (None for an empty batch).
        """
        ...

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The stream's events whose version is greater than `from_version`, in order."""
        ...


def validate_stream_id(aggregate_id: object, field: str = "aggregate_id") -> None:
    """Reject stream ids a database would store under another identity or not at all:
    non-strings, lone surrogates (not encodable as UTF-8), NUL characters, and ids longer
    than `MAX_ID_BYTES`."""
    if not isinstance(aggregate_id, str):
        raise ValidationError("must be a string", field, aggregate_id)
    _validate_text(aggregate_id, field)
    if len(aggregate_id) * 4 > MAX_ID_BYTES and len(aggregate_id.encode()) > MAX_ID_BYTES:
        size = len(aggregate_id.encode())
        raise ValidationError(f"must be at most {MAX_ID_BYTES} bytes ({size} given)", field, "...")


def _validate_text(text: str, field: str) -> None:
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError as error:
            raise ValidationError("must be valid Unicode text", field, text) from error
    if "\x00" in text:
        raise ValidationError("must not contain NUL characters", field, text)


def validate_events(events: Sequence[object]) -> None:
    """Reject a batch holding anything but events (a command, a dict, None), and events whose
    id or metadata columns no store could keep (the rules of `validate_stream_id`), with
    `EventEncodingError`."""
    for event in events:
        if not isinstance(event, Event):
            raise EventEncodingError(f"Only events can be saved, not {type(event).__qualname__}")
        try:
            validate_stream_id(event.id, "id")
            for field in _METADATA_TEXT:
                value = getattr(event, field)
                if value is not None:
                    if type(value) is not str:
                        raise ValidationError("must be a string or None", field, value)
                    _validate_text(value, field)
        except ValidationError as error:
            message = f"{type(event).__qualname__} cannot be stored: {error}"
            raise EventEncodingError(message) from error


def validate_version(value: object, field: str) -> None:
    """Require an int (not a bool) from 0 to 2**63 - 1, the range every store can index."""
    if type(value) is not int:
        raise ValidationError("must be an integer", field, value)
    if not 0 <= value <= INT64_MAX:
        raise ValidationError(f"must be between 0 and {INT64_MAX}", field, value)


def validate_expected_version(value: object) -> None:
    """None (append whatever the version) or a valid stream version."""
    if value is not None:
        validate_version(value, "expected_version")


def validate_checkpoint(after: object, batch_size: object) -> None:
    """A `read_all` start: a Checkpoint of valid positions and a positive batch size."""
    if not isinstance(after, Checkpoint):
        raise ValidationError("must be a Checkpoint", "after", after)
    validate_version(after.tx_id, "after.tx_id")
    validate_version(after.position, "after.position")
    if type(batch_size) is not int or batch_size < 1:
        raise ValidationError("must be a positive integer", "batch_size", batch_size)


__all__ = [
    "INT64_MAX",
    "MAX_ID_BYTES",
    "AsyncEventStore",
    "EventStore",
    "validate_checkpoint",
    "validate_events",
    "validate_expected_version",
    "validate_stream_id",
    "validate_version",
]
