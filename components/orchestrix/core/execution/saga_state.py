"""The persisted state of a saga, saved after every transition so a crashed saga can resume."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


def _now() -> datetime:
    return datetime.now(UTC)


class SagaStatus(enum.Enum):
    """Where a saga is in its life."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    COMPENSATING = "compensating"
    FAILED = "failed"


class SagaStepStatus(enum.Enum):
    """Where one step of a saga is."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"


@dataclass(frozen=True, kw_only=True)
class SagaState:
    """A snapshot of one saga run; `context` holds the `execute(**kwargs)` arguments and
    `step_results` each completed step's result, both JSON-compatible so any store can keep
    them."""

    saga_id: str
    saga_type: str
    status: SagaStatus = SagaStatus.PENDING
    current_step: int = 0
    step_statuses: dict[str, SagaStepStatus] = field(default_factory=dict)
    step_results: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)


class SagaStateStore(Protocol):
    """Loads and saves saga states by saga id."""

    async def save_state(self, state: SagaState) -> None: ...

    async def load_state(self, saga_id: str) -> SagaState | None: ...

    async def list_by_status(self, *statuses: SagaStatus) -> list[SagaState]:
        """Sagas in any of `statuses`, oldest first (e.g. the unfinished ones to resume)."""
        ...


class InMemorySagaStateStore:
    """Saga states in process memory, for tests and single-process use."""

    def __init__(self) -> None:
        self._states: dict[str, SagaState] = {}

    async def save_state(self, state: SagaState) -> None:
        self._states[state.saga_id] = state

    async def load_state(self, saga_id: str) -> SagaState | None:
        return self._states.get(saga_id)

    async def list_by_status(self, *statuses: SagaStatus) -> list[SagaState]:
        wanted = set(statuses)
        matching = [state for state in self._states.values() if state.status in wanted]
        return sorted(matching, key=lambda state: state.created_at)


__all__ = [
    "InMemorySagaStateStore",
    "SagaState",
    "SagaStateStore",
    "SagaStatus",
    "SagaStepStatus",
]
