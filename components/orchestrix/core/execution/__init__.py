"""Long-running processes: sagas with compensation, process managers and deadlines."""

from orchestrix.core.execution.clock import Clock, ManualClock, SystemClock
from orchestrix.core.execution.deadline import Deadline, DeadlineStore
from orchestrix.core.execution.deadline_scheduler import DeadlineScheduler, DeadlineTarget
from orchestrix.core.execution.errors import (
    ProcessConcurrencyError,
    ProcessDefinitionError,
    ProcessManagerError,
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaError,
    SagaNotFoundError,
    SagaStateError,
    StateEncodingError,
    StepTimeoutError,
)
from orchestrix.core.execution.memory_saga_store import InMemorySagaStateStore
from orchestrix.core.execution.process_context import ProcessContext
from orchestrix.core.execution.process_instance import (
    ProcessInstance,
    ProcessStateStore,
    ProcessStatus,
)
from orchestrix.core.execution.process_manager import ProcessManager, handles
from orchestrix.core.execution.saga import ResumePolicy, Saga
from orchestrix.core.execution.saga_recovery import recover_sagas
from orchestrix.core.execution.saga_state import (
    SagaState,
    SagaStateStore,
    SagaStatus,
    SagaStepStatus,
)
from orchestrix.core.execution.saga_step import SagaStep

__all__ = [
    "Clock",
    "Deadline",
    "DeadlineScheduler",
    "DeadlineStore",
    "DeadlineTarget",
    "InMemorySagaStateStore",
    "ManualClock",
    "ProcessConcurrencyError",
    "ProcessContext",
    "ProcessDefinitionError",
    "ProcessInstance",
    "ProcessManager",
    "ProcessManagerError",
    "ProcessStateStore",
    "ProcessStatus",
    "ResumePolicy",
    "Saga",
    "SagaConcurrencyError",
    "SagaDefinitionError",
    "SagaError",
    "SagaNotFoundError",
    "SagaState",
    "SagaStateError",
    "SagaStateStore",
    "SagaStatus",
    "SagaStep",
    "SagaStepStatus",
    "StateEncodingError",
    "StepTimeoutError",
    "SystemClock",
    "handles",
    "recover_sagas",
]
