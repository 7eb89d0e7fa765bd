"""The persisted state of a saga, saved after every transition so a crashed saga can resume.

States and step statuses are frozen: each transition saves a new state, so what a store holds
never changes behind its back. `version` counts the saves; a saga passes the version it read
as `expected_version`, so two processes can never both advance the same saga.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol


def _now() -> datetime:
    return datetime.now(UTC)


class SagaStatus(str, enum.Enum):  # noqa: UP042 - str() gives "SagaStatus.FAILED", as before
    """Where a saga is in its life; `is_completed` means COMPLETED or FAILED."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    COMPENSATING = "compensating"
    FAILED = "failed"


UNFINISHED = (SagaStatus.IN_PROGRESS, SagaStatus.COMPENSATING)
"""The statuses of a saga that was interrupted if no process is running it."""


@dataclass(frozen=True)
class SagaStepStatus:
    """One step's progress. `status` is one of the class constants below.

    A step whose action has started and not finished is PENDING with `started_at` set. The
    step that failed keeps its action's error; a step whose compensation failed is FAILED with
    the compensation's error and keeps its action's `result`.
    """

    PENDING: ClassVar[str] = "pending"
    COMPLETED: ClassVar[str] = "completed"
    FAILED: ClassVar[str] = "failed"
    COMPENSATING: ClassVar[str] = "compensating"
    COMPENSATED: ClassVar[str] = "compensated"

    step_name: str
    status: str = "pending"
    result: Any | None = None
    error: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class SagaState:
    """A snapshot of one saga run.

    `context` holds the `execute(**kwargs)` arguments, which resumption and compensations
    need; each step's result is in its `SagaStepStatus`. `current_step_index` is the step
    running, or the one that failed or was interrupted.
    """

    saga_id: str
    saga_type: str
    status: SagaStatus = SagaStatus.PENDING
    step_statuses: dict[str, SagaStepStatus] = field(default_factory=dict)
    current_step_index: int = 0
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    def is_completed(self) -> bool:
        """Whether the saga has ended, successfully or not."""
        return self.status in (SagaStatus.COMPLETED, SagaStatus.FAILED)

    @property
    def step_results(self) -> dict[str, Any]:
        """The result of every step whose action completed, by step name.

        Steps run in order and `step_statuses` lists the started ones in that order, so every
        step before `current_step_index` completed its action.
        """
        return {
            step.step_name: step.result
            for index, step in enumerate(self.step_statuses.values())
            if index < self.current_step_index or step.status in _ACTION_DONE
        }

    @property
    def compensation_errors(self) -> dict[str, str]:
        """The error of every compensation that failed, by step name."""
        earlier = list(self.step_statuses.values())[: self.current_step_index]
        return {
            step.step_name: step.error or ""
            for step in earlier
            if step.status == SagaStepStatus.FAILED
        }


_ACTION_DONE = frozenset(
    (SagaStepStatus.COMPLETED, SagaStepStatus.COMPENSATING, SagaStepStatus.COMPENSATED)
)


class SagaStateStore(Protocol):
    """Loads and saves saga states by saga id.

    `save_state(state, expected_version=n)` writes only if the stored state is at version `n`
    (0: none is stored) and raises `SagaConcurrencyError` otherwise; without it the state is
    written unconditionally (the first release's behaviour). Values that cannot be kept raise
    `StateEncodingError` and write nothing.
    """

    async def save_state(self, state: SagaState, expected_version: int | None = None) -> None: ...

    async def load_state(self, saga_id: str) -> SagaState | None: ...

    async def list_by_status(self, *statuses: SagaStatus) -> list[SagaState]:
        """Sagas in any of `statuses`, oldest first (e.g. the unfinished ones to resume)."""
        ...


__all__ = [
    "UNFINISHED",
    "SagaState",
    "SagaStateStore",
    "SagaStatus",
    "SagaStepStatus",
]
