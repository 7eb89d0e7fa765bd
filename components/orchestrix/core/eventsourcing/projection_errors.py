"""Errors of projections and their runners, under `OrchestrixError`."""

from __future__ import annotations

from orchestrix.core.common.exceptions import OrchestrixError
from orchestrix.core.eventsourcing.event_log import Checkpoint


class CheckpointConflictError(OrchestrixError):
    """The stored checkpoint moved since it was read: another instance of the projection is
    running. The transaction that found it was rolled back, read-model writes included."""

    def __init__(self, projection_id: str, expected: Checkpoint, actual: Checkpoint | None) -> None:
        self.projection_id = projection_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Projection {projection_id!r} is at checkpoint {actual}, expected {expected}: "
            "another instance is processing it"
        )


class ProjectionLockedError(OrchestrixError):
    """Another instance holds the projection's lock, so this one may not process it now."""

    def __init__(self, projection_id: str) -> None:
        self.projection_id = projection_id
        super().__init__(f"Projection {projection_id!r} is being run by another instance")


class ProjectionStoppedError(OrchestrixError):
    """The error policy stopped a projection at an event its handlers kept failing on.

    The checkpoint stays before the event, so the projection resumes at it once restarted
    (after the handler is fixed); the handler's error is the `__cause__`.
    """

    def __init__(self, projection_id: str, event_id: str, checkpoint: Checkpoint) -> None:
        self.projection_id = projection_id
        self.event_id = event_id
        self.checkpoint = checkpoint
        super().__init__(
            f"Projection {projection_id!r} stopped at event {event_id!r} ({checkpoint}): "
            "its handler failed and the error policy says stop"
        )


class ProjectionWaitTimeoutError(OrchestrixError, TimeoutError):
    """Projections did not reach a checkpoint in time. The write itself succeeded."""

    def __init__(
        self, checkpoint: Checkpoint, behind: dict[str, Checkpoint | None], timeout: float
    ) -> None:
        self.checkpoint = checkpoint
        self.behind = behind
        self.timeout = timeout
        where = ", ".join(f"{name!r} at {reached}" for name, reached in behind.items())
        super().__init__(
            f"The write succeeded and is stored (up to {checkpoint}), but after {timeout} s "
            f"these projections had not processed it yet: {where}. Do not repeat the write; "
            "the read models will catch up."
        )


__all__ = [
    "CheckpointConflictError",
    "ProjectionLockedError",
    "ProjectionStoppedError",
    "ProjectionWaitTimeoutError",
]
