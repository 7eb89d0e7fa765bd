"""The errors of sagas, process managers and deadlines, under `OrchestrixError`.

Definition errors are also `ValueError`s (the first release raised plain `ValueError` for a
bad step); a stale write is also a `ConcurrencyError`, so one `except` catches every lost race.
"""

from __future__ import annotations

from orchestrix.core.common.exceptions import ConcurrencyError, OrchestrixError


class SagaError(OrchestrixError):
    """Base of the errors a saga raises on its own account (never a step's error)."""


class SagaDefinitionError(SagaError, ValueError):
    """A saga or step is defined wrongly: empty or repeated step name, no callable action, ..."""


class SagaNotFoundError(SagaError, LookupError):
    """No state is stored under the saga id that was asked for."""

    def __init__(self, saga_id: str) -> None:
        self.saga_id = saga_id
        super().__init__(f"No saga with id {saga_id!r} is stored")


class SagaStateError(SagaError):
    """The stored saga cannot do what was asked: executed twice, of another type, ..."""


class SagaConcurrencyError(SagaError, ConcurrencyError):
    """Another process saved the saga first: it is running (or resuming) it elsewhere."""

    def __init__(self, saga_id: str, expected_version: int, actual_version: int) -> None:
        ConcurrencyError.__init__(self, saga_id, expected_version, actual_version)
        self.args = (
            f"Saga {saga_id!r} is at version {actual_version}, expected {expected_version}: "
            "another process has saved it meanwhile",
        )


class StepTimeoutError(SagaError, TimeoutError):
    """A step's action or compensation ran longer than the step's `timeout`."""

    def __init__(self, step_name: str, timeout: float) -> None:
        self.step_name = step_name
        self.timeout = timeout
        super().__init__(f"Step {step_name!r} did not finish within {timeout} s")


class StateEncodingError(OrchestrixError, ValueError):
    """A value cannot be kept in a durable state store (saga arguments and results, process
    state, scheduled messages); nothing was written."""


class ProcessManagerError(OrchestrixError):
    """Base of the errors a process manager raises on its own account."""


class ProcessDefinitionError(ProcessManagerError, ValueError):
    """A process manager class is defined wrongly (no process type, two handlers for a type,
    ...) or a message cannot be correlated to an instance."""


class ProcessConcurrencyError(ProcessManagerError, ConcurrencyError):
    """Another delivery saved the process instance first."""

    def __init__(self, key: str, expected_version: int, actual_version: int) -> None:
        ConcurrencyError.__init__(self, key, expected_version, actual_version)
        self.args = (
            f"Process instance {key!r} is at version {actual_version}, expected {expected_version}",
        )


__all__ = [
    "ProcessConcurrencyError",
    "ProcessDefinitionError",
    "ProcessManagerError",
    "SagaConcurrencyError",
    "SagaDefinitionError",
    "SagaError",
    "SagaNotFoundError",
    "SagaStateError",
    "StateEncodingError",
    "StepTimeoutError",
]
