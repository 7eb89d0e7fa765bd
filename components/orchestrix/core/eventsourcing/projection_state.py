"""Where a projection keeps its checkpoint and health, so it resumes instead of starting over."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from orchestrix.core.eventsourcing.event_log import Checkpoint


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class ProjectionState:
    """A projection's progress; replaced (never mutated) after each processed event.

    `last_processed_tx_id` and `last_processed_position` together form the checkpoint in the
    global log (the transaction id is 0 for stores that commit one writer at a time).
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
