"""Long-running processes: sagas with compensation, process managers and deadlines."""

from orchestrix.core.execution.memory_saga_store import InMemorySagaStateStore
from orchestrix.core.execution.saga import ResumePolicy, Saga
from orchestrix.core.execution.saga_state import (
    SagaState,
    SagaStateStore,
    SagaStatus,
    SagaStepStatus,
)
from orchestrix.core.execution.saga_step import SagaStep

__all__ = [
    "InMemorySagaStateStore",
    "ResumePolicy",
    "Saga",
    "SagaState",
    "SagaStateStore",
    "SagaStatus",
    "SagaStep",
    "SagaStepStatus",
]
