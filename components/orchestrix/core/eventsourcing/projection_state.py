"""Where a projection keeps its checkpoint and health, so it resumes instead of starting over."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from orchestrix.core.eventsourcing.event_log import Checkpoint


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class ProjectionState:
    """A projection's progress; replaced (never mutated) as events are processed.

    The fields of the first release, plus `last_processed_tx_id`: with
    `last_processed_position` it forms the checkpoint in the global log (the transaction id
    is 0 for stores that commit one writer at a time). `is_healthy` turns false when a
    handler fails and true again once an event is processed; `error_count` keeps the total.
    """

    projection_id: str
    last_processed_event_id: str | None = None
    last_processed_position: int = 0
    last_processed_tx_id: int = 0
    updated_at: datetime = field(default_factory=_now)
    error_count: int = 0
    is_healthy: bool = True

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.last_processed_tx_id, self.last_processed_position)

    def advanced(self, event_id: str, checkpoint: Checkpoint | None = None) -> ProjectionState:
        """The state after processing the event `event_id`, found at `checkpoint` in the log
        (None for an event that came without a place in the log: the checkpoint stays)."""
        if checkpoint is None:
            checkpoint = self.checkpoint
        return replace(
            self,
            last_processed_event_id=event_id,
            last_processed_position=checkpoint.position,
            last_processed_tx_id=checkpoint.tx_id,
            updated_at=_now(),
            is_healthy=True,
        )

    def skipped(self, event_id: str, checkpoint: Checkpoint) -> ProjectionState:
        """The state after an event was dead-lettered: past it, with one more error."""
        passed = self.advanced(event_id, checkpoint)
        return replace(passed, error_count=self.error_count + 1)

    def failed(self) -> ProjectionState:
        """The state after a handler failed: one more error, unhealthy."""
        return replace(self, error_count=self.error_count + 1, is_healthy=False, updated_at=_now())

    def reset(self) -> ProjectionState:
        """The state of the same projection before it processed anything."""
        return ProjectionState(projection_id=self.projection_id)


class ProjectionStateStore(Protocol):
    """Loads and saves projection states by projection id."""

    async def load_state(self, projection_id: str) -> ProjectionState | None: ...

    async def save_state(self, state: ProjectionState) -> None: ...

    async def delete_state(self, projection_id: str) -> None: ...


class InMemoryProjectionStateStore:
    """Projection states in process memory, for tests and single-process use."""

    def __init__(self) -> None:
        self._states: dict[str, ProjectionState] = {}
        self._lock = asyncio.Lock()

    async def load_state(self, projection_id: str) -> ProjectionState | None:
        return self._states.get(projection_id)

    async def save_state(self, state: ProjectionState) -> None:
        async with self._lock:
            self._states[state.projection_id] = state

    async def delete_state(self, projection_id: str) -> None:
        async with self._lock:
            self._states.pop(projection_id, None)


__all__ = ["InMemoryProjectionStateStore", "ProjectionState", "ProjectionStateStore"]
