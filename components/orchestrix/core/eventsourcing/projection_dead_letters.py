"""Events a projection could not process, kept with their error so they can be replayed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

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


__all__ = ["DeadLetteredEvent"]
