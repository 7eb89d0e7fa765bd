"""The error tree of Orchestrix.

Every error the library raises on purpose derives from `OrchestrixError`, so callers can catch
one base class; driver errors (sqlite3, asyncpg, ...) are translated into it at the boundary and
kept as `__cause__`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class OrchestrixError(Exception):
    """Base class of every error raised by Orchestrix."""


@dataclass(frozen=True, slots=True)
class HandlerFailure:
    """One handler that failed while a message was published."""

    handler_name: str
    error: BaseException


class HandlerError(OrchestrixError):
    """One or more handlers failed for a published message.

    `handler_name` and `original_error` describe the first failure (the seed API); `failures`
    lists every handler that failed, in subscription order. The text of a single failure is the
    first release's; further failures are appended to it.
    """

    def __init__(
        self,
        message_type: str,
        handler_name: str,
        original_error: BaseException,
        failures: Sequence[HandlerFailure] = (),
    ) -> None:
        self.message_type = message_type
        self.handler_name = handler_name
        self.original_error = original_error
        self.failures: tuple[HandlerFailure, ...] = tuple(failures) or (
            HandlerFailure(handler_name, original_error),
        )
        text = (
            f"Handler '{handler_name}' failed for message type '{message_type}': {original_error}"
        )
        others = self.failures[1:]
        if others:
            details = "; ".join(
                f"'{failure.handler_name}': {type(failure.error).__name__}: {failure.error}"
                for failure in others
            )
            text = f"{text} (and {len(others)} more: {details})"
        super().__init__(text)

    @classmethod
    def from_failures(cls, message_type: str, failures: Sequence[HandlerFailure]) -> HandlerError:
        """Build the error for a non-empty list of failures, chained to the first one."""
        first = failures[0]
        error = cls(message_type, first.handler_name, first.error, failures)
        error.__cause__ = first.error
        return error

    def __reduce__(self) -> tuple[object, ...]:
        arguments = (self.message_type, self.handler_name, self.original_error, self.failures)
        return type(self), arguments, self.__dict__


class ConcurrencyError(OrchestrixError):
    """A stream was not at the version the writer expected (optimistic concurrency)."""

    def __init__(self, aggregate_id: str, expected_version: int, actual_version: int) -> None:
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"Concurrency conflict for aggregate '{aggregate_id}': expected version "
            f"{expected_version}, but current version is {actual_version}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        arguments = (self.aggregate_id, self.expected_version, self.actual_version)
        return type(self), arguments, self.__dict__


class DuplicateEventError(OrchestrixError):
    """An event with this id is already stored; the batch was not written."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"An event with id {event_id!r} is already stored")

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.event_id,), self.__dict__


class AggregateNotFoundError(OrchestrixError, ValueError):
    """No events exist for the aggregate that was asked for."""

    def __init__(self, aggregate_type: str, aggregate_id: str) -> None:
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        super().__init__(f"Aggregate {aggregate_id} not found")

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.aggregate_type, self.aggregate_id), self.__dict__


class MessageTypeError(OrchestrixError, TypeError):
    """A message type cannot be used as written: a class defined wrongly, or a stored type name
    that several classes claim while its stored class identity names none of them."""


class EventEncodingError(OrchestrixError, ValueError):
    """An event cannot be encoded for storage (unsupported value or invalid text)."""


class EventDecodingError(OrchestrixError, ValueError):
    """A stored event cannot be decoded into its class."""


class StoreError(OrchestrixError):
    """A storage backend failed (connection lost, server down, corrupt file)."""


class StoreUnavailableError(StoreError):
    """The storage backend cannot be reached right now (refused, dropped, shutting down,
    no free connection); the operation did not complete as far as the client knows, so
    retrying later may succeed."""


class BrokerError(OrchestrixError):
    """A message broker refused or failed an operation (publish not confirmed, bad topology)."""


class BrokerUnavailableError(BrokerError):
    """The message broker cannot be reached right now (down, restarting, connection lost);
    a publish that raised this was not confirmed, so retrying it later may succeed."""


class StoreUsageError(OrchestrixError, TypeError):
    """A store was used through the wrong interface (e.g. sync calls on an async store)."""


class PersonalDataError(OrchestrixError):
    """Personal data cannot be written or read as asked (see the personal-data guide)."""


class MissingSubjectError(PersonalDataError, EventEncodingError):
    """An event holds personal data but not the id of the data subject it belongs to."""


class SubjectErasedError(PersonalDataError):
    """The data subject was erased: no new personal data of theirs is stored, ever."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(f"Data subject {subject_id!r} was erased; its personal data is not kept")

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.subject_id,), self.__dict__


class UnknownSubjectError(PersonalDataError, LookupError):
    """No personal data of this data subject was ever stored, so there is nothing to erase."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(f"No personal data of data subject {subject_id!r} is stored")

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.subject_id,), self.__dict__


class MasterKeyError(PersonalDataError):
    """The master key is missing or malformed, or is not the one that wrapped a stored key."""


class TamperedDataError(PersonalDataError, EventDecodingError):
    """An encrypted value or key failed authentication: it was changed or damaged."""


__all__ = [
    "AggregateNotFoundError",
    "BrokerError",
    "BrokerUnavailableError",
    "ConcurrencyError",
    "DuplicateEventError",
    "EventDecodingError",
    "EventEncodingError",
    "HandlerError",
    "HandlerFailure",
    "MasterKeyError",
    "MessageTypeError",
    "MissingSubjectError",
    "OrchestrixError",
    "PersonalDataError",
    "StoreError",
    "StoreUnavailableError",
    "StoreUsageError",
    "SubjectErasedError",
    "TamperedDataError",
    "UnknownSubjectError",
]
