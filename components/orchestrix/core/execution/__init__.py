"""Long-running processes: saga state and its stores."""

from orchestrix.core.execution.saga_state import (
    InMemorySagaStateStore,
    SagaState,
    SagaStateStore,
    SagaStatus,
    SagaStepStatus,
)

__all__ = [
    "InMemorySagaStateStore",
    "SagaState",
    "SagaStateStore",
    "SagaStatus",
    "SagaStepStatus",
]
