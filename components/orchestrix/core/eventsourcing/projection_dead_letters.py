"""Events a projection could not process, kept with their error so they can be replayed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orchestrix.core.eventsourcing.event_log import Checkpoint, RecordedEvent


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DeadLetteredEvent:
    """An event skipped by a projection's error policy: where it is in the log and why.

    The event itself stays in the log; `checkpoint` finds it again for a replay.
    """

    projection_id: str
    event_id: str
    event_type: str
    aggregate_id: str
    version: int
    checkpoint: Checkpoint
    error_type: str
    error_message: str
    attempts: int
    failed_at: datetime = field(default_factory=_now)

    @classmethod
    def of(
        cls, projection_id: str, recorded: RecordedEvent, error: BaseException, attempts: int
    ) -> DeadLetteredEvent:
        return cls(
            projection_id=projection_id,
            event_id=recorded.event.id,
            event_type=recorded.event.type,
            aggregate_id=recorded.aggregate_id,
            version=recorded.version,
            checkpoint=recorded.checkpoint,
            error_type=type(error).__qualname__,
            error_message=str(error),
            attempts=attempts,
        )


DEAD_LETTER_COLUMNS = (
    "projection_id",
    "event_id",
    "event_type",
    "aggregate_id",
    "version",
    "tx_id",
    "position",
    "error_type",
    "error_message",
    "attempts",
    "failed_at",
)
"""The columns stores keep a dead letter in, in the order of `as_row` and `from_row`."""


def dead_letter_row(entry: DeadLetteredEvent) -> tuple[Any, ...]:
    """`entry` as the values of `DEAD_LETTER_COLUMNS`."""
    return (
        entry.projection_id,
        entry.event_id,
        entry.event_type,
        entry.aggregate_id,
        entry.version,
        entry.checkpoint.tx_id,
        entry.checkpoint.position,
        entry.error_type,
        entry.error_message,
        entry.attempts,
        entry.failed_at,
    )


def dead_letter_from_row(row: Sequence[Any]) -> DeadLetteredEvent:
    """The dead letter stored as the values of `DEAD_LETTER_COLUMNS`."""
    return DeadLetteredEvent(
        projection_id=row[0],
        event_id=row[1],
        event_type=row[2],
        aggregate_id=row[3],
        version=row[4],
        checkpoint=Checkpoint(row[5], row[6]),
        error_type=row[7],
        error_message=row[8],
        attempts=row[9],
        failed_at=row[10],
    )


__all__ = ["DEAD_LETTER_COLUMNS", "DeadLetteredEvent", "dead_letter_from_row", "dead_letter_row"]
