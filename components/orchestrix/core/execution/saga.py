"""Sagas: steps run in order; when one fails, the completed ones are undone in reverse.

Every transition is saved before the saga moves on, one write each: the write that completes
a step also starts the next one, so a store sees at most one write per step and compensation.
A saga interrupted by a crash is continued (or compensated, as it declares) by `resume`. A
step whose action was running when the process died runs again on resume: actions and
compensations must tolerate running twice (see docs/sagas.md).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from orchestrix.core.common.instrumentation import saga_execution, saga_step
from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.core.common.tracing import TracingProvider
from orchestrix.core.execution.errors import (
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaNotFoundError,
    SagaStateError,
)
from orchestrix.core.execution.invocation import call, select
from orchestrix.core.execution.memory_saga_store import InMemorySagaStateStore
from orchestrix.core.execution.saga_state import (
    SagaState,
    SagaStateStore,
    SagaStatus,
    SagaStepStatus,
)
from orchestrix.core.execution.saga_step import RESERVED_NAME, SagaStep
from orchestrix.core.execution.value_codec import encode_value

_log = StructuredLogger(get_logger(__name__))
_RUNNING = (SagaStepStatus.COMPLETED, SagaStepStatus.COMPENSATING)


def _now() -> datetime:
    return datetime.now(UTC)


def _describe(error: BaseException) -> str:
    """The error's text for the state (NUL, which no store keeps in text, written as \\x00)."""
    return (str(error) or type(error).__name__).replace("\x00", "\\x00")


class ResumePolicy(enum.StrEnum):
    """What `resume` does with a saga interrupted in the middle of a step.

    CONTINUE runs the interrupted step again and goes on; COMPENSATE treats it as failed and
    undoes the steps completed before it. A saga interrupted while compensating always
    finishes compensating.
    """

    CONTINUE = "continue"
    COMPENSATE = "compensate"


class Saga:
    """A multi-step process with compensation, persisted after every transition.

    `saga_id` is a fresh uuid unless given; assign it before `initialize()` or pass it to
    `resume()` to work on a stored saga.
    """

    def __init__(
        self,
        saga_type: str,
        steps: Sequence[SagaStep],
        state_store: SagaStateStore,
        tracing: TracingProvider | None = None,
        *,
        saga_id: str | None = None,
        on_interrupted: ResumePolicy = ResumePolicy.CONTINUE,
    ) -> None:
        if not isinstance(saga_type, str) or not saga_type:
            raise SagaDefinitionError("Saga type cannot be empty")
        _check_steps(steps)
        if state_store is None:
            raise SagaDefinitionError("Saga state_store cannot be None")
        self.saga_type = saga_type
        self.steps = list(steps)
        self.state_store = state_store
        self.tracing = tracing
        self.on_interrupted = ResumePolicy(on_interrupted)
        self._saga_id = str(uuid4())
        self._state: SagaState | None = None
        if saga_id is not None:
            self.saga_id = saga_id
        self._compensation_failures: list[tuple[str, Exception]] = []

    @property
    def saga_id(self) -> str:
        return self._saga_id

    @saga_id.setter
    def saga_id(self, saga_id: str) -> None:
        if not isinstance(saga_id, str) or not saga_id:
            raise SagaDefinitionError("Saga id cannot be empty")
        if saga_id != self._saga_id:
            self._saga_id = saga_id
            self._state = None

    async def initialize(self) -> None:
        """Load the saga's state, or create and save a PENDING one."""
        state = await self.state_store.load_state(self.saga_id)
        if state is None:
            state = SagaState(saga_id=self.saga_id, saga_type=self.saga_type, version=1)
            await self.state_store.save_state(state, expected_version=0)
        else:
            self._check_stored(state)
        self._state = state

    async def execute(self, **kwargs: Any) -> Any:
        """Run every step with `kwargs`; return the last step's result.

        When a step fails, the completed steps are compensated in reverse order, then the
        step's exception is re-raised, with a note for each compensation that failed.
        """
        self._check_arguments(kwargs)
        if self._state is None:
            # Not initialized: start it as a new saga, and let the store's version check
            # say if it exists (one round trip fewer than loading it first).
            self._state = SagaState(saga_id=self.saga_id, saga_type=self.saga_type)
            try:
                await self._begin(kwargs)
            except SagaConcurrencyError:
                stored = await self.state_store.load_state(self.saga_id)
                if stored is None:
                    raise
                self._check_stored(stored)
                self._state = stored
                await self._begin(kwargs)
        else:
            await self._begin(kwargs)
        with saga_execution(self.saga_type, self.saga_id, tracing=self.tracing):
            return await self._run(0, reraise=True)

    async def _begin(self, arguments: dict[str, Any]) -> None:
        """Save the saga as started, with its arguments and its first step running."""
        state = self._current
        if state.status is not SagaStatus.PENDING:
            raise SagaStateError(
                f"Saga {self.saga_id!r} has already been executed (status "
                f"{state.status.value}); use resume() to continue an interrupted saga"
            )
        now = _now()
        first = self.steps[0].name
        await self._save(
            status=SagaStatus.IN_PROGRESS,
            started_at=now,
            context=dict(arguments),
            current_step_index=0,
            step_statuses={first: SagaStepStatus(step_name=first, started_at=now)},
        )

    async def resume(self, saga_id: str | None = None) -> SagaState:
        """Finish a saga that a crash interrupted; returns its final state.

        An IN_PROGRESS saga continues with the step it was in, or is compensated, as
        `on_interrupted` says; a COMPENSATING one finishes compensating; an ended one is
        returned as it is. A step failing now is compensated as usual and recorded in the
        state, not raised.
        """
        if saga_id is not None:
            self.saga_id = saga_id
        state = await self.state_store.load_state(self.saga_id)
        if state is None:
            raise SagaNotFoundError(self.saga_id)
        self._check_stored(state)
        self._state = state
        if state.status is SagaStatus.PENDING:
            raise SagaStateError(f"Saga {self.saga_id!r} was never executed: call execute()")
        if state.is_completed():
            return state
        _log.info("Resuming saga", saga_id=self.saga_id, status=state.status.value)
        index = state.current_step_index
        if state.status is SagaStatus.COMPENSATING:
            await self._compensate(claimed=False)
        elif self.on_interrupted is ResumePolicy.COMPENSATE:
            interrupted = f"Step {self.steps[index].name!r} was interrupted"
            await self._begin_compensation(index, interrupted)
        else:
            name = self.steps[index].name
            restarted = SagaStepStatus(step_name=name, started_at=_now())
            await self._save(step_statuses={**state.step_statuses, name: restarted})
            await self._run(index, reraise=False)
        return self._current

    def get_state(self) -> SagaState | None:
        """The saga's current state, or None before it is initialized or executed."""
        return self._state

    def is_completed(self) -> bool:
        return self._state is not None and self._state.is_completed()

    def is_successful(self) -> bool:
        return self._state is not None and self._state.status is SagaStatus.COMPLETED

    @property
    def _current(self) -> SagaState:
        assert self._state is not None, "the state is loaded before any transition"
        return self._state

    async def _save(self, **changes: Any) -> SagaState:
        """Save the next state, expecting the stored one to be the current state."""
        current = self._current
        state = replace(current, version=current.version + 1, updated_at=_now(), **changes)
        await self.state_store.save_state(state, expected_version=current.version)
        self._state = state
        return state

    async def _run(self, index: int, *, reraise: bool) -> Any:
        """Run the steps from `index` on; the step at `index` is already saved as started."""
        while True:
            step = self.steps[index]
            state = self._current
            arguments = {**state.context, **state.step_results}
            try:
                result = await self._perform(step, "action", arguments)
                encode_value(result)  # an unstorable result fails the step, before it counts
            except Exception as error:
                _log.warning(
                    "Saga step failed", saga_id=self.saga_id, step=step.name, error=repr(error)
                )
                await self._begin_compensation(index, _describe(error))
                if reraise:
                    for name, failure in self._compensation_failures:
                        error.add_note(
                            f"Compensation of step {name!r} failed: "
                            f"{type(failure).__name__}: {failure}"
                        )
                    raise
                return None
            now = _now()
            statuses = dict(state.step_statuses)
            statuses[step.name] = replace(
                statuses[step.name],
                status=SagaStepStatus.COMPLETED,
                result=result,
                completed_at=now,
            )
            if index + 1 == len(self.steps):
                await self._save(
                    step_statuses=statuses, status=SagaStatus.COMPLETED, completed_at=now
                )
                return result
            index += 1
            following = self.steps[index].name
            statuses[following] = SagaStepStatus(step_name=following, started_at=now)
            await self._save(step_statuses=statuses, current_step_index=index)

    def _to_compensate(self) -> list[SagaStep]:
        """The steps before the failed one still to undo, latest first."""
        state = self._current
        return [
            step
            for step in reversed(self.steps[: state.current_step_index])
            if step.compensation is not None and state.step_statuses[step.name].status in _RUNNING
        ]

    async def _begin_compensation(self, index: int, reason: str) -> None:
        """Record the failed step and compensate the ones before it (or fail at once if there
        is nothing to undo)."""
        self._compensation_failures = []
        now = _now()
        state = self._current
        name = self.steps[index].name
        statuses = dict(state.step_statuses)
        statuses[name] = replace(
            statuses[name], status=SagaStepStatus.FAILED, error=reason, completed_at=now
        )
        pending = self._to_compensate()
        if not pending:
            await self._save(
                step_statuses=statuses, status=SagaStatus.FAILED, error=reason, completed_at=now
            )
            return
        first = pending[0].name
        statuses[first] = replace(statuses[first], status=SagaStepStatus.COMPENSATING)
        await self._save(step_statuses=statuses, status=SagaStatus.COMPENSATING, error=reason)
        await self._compensate(claimed=True)

    async def _compensate(self, *, claimed: bool) -> None:
        """Undo the completed steps in reverse; every failure is recorded, none stops the rest.

        `claimed` says the first compensation is already saved as started; otherwise (on
        resume) that is saved first, so two processes cannot both run it.
        """
        pending = self._to_compensate()
        if not pending:
            await self._save(status=SagaStatus.FAILED, completed_at=_now())
            return
        if not claimed:
            first = pending[0].name
            statuses = dict(self._current.step_statuses)
            statuses[first] = replace(statuses[first], status=SagaStepStatus.COMPENSATING)
            await self._save(step_statuses=statuses)
        results = self._current.step_results
        for position, step in enumerate(pending):
            state = self._current
            arguments = {
                **state.context,
                **{name: value for name, value in results.items() if name != step.name},
                RESERVED_NAME: results.get(step.name),
            }
            assert step.compensation is not None
            try:
                await self._perform(step, "compensation", arguments)
            except Exception as error:
                _log.error(
                    "Saga compensation failed",
                    saga_id=self.saga_id,
                    step=step.name,
                    error=repr(error),
                )
                self._compensation_failures.append((step.name, error))
                outcome = replace(
                    state.step_statuses[step.name],
                    status=SagaStepStatus.FAILED,
                    error=_describe(error),
                    completed_at=_now(),
                )
            else:
                outcome = replace(
                    state.step_statuses[step.name],
                    status=SagaStepStatus.COMPENSATED,
                    completed_at=_now(),
                )
            statuses = {**state.step_statuses, step.name: outcome}
            if position + 1 < len(pending):
                following = pending[position + 1].name
                statuses[following] = replace(
                    statuses[following], status=SagaStepStatus.COMPENSATING
                )
                await self._save(step_statuses=statuses)
            else:
                await self._save(
                    step_statuses=statuses, status=SagaStatus.FAILED, completed_at=_now()
                )

    async def _perform(self, step: SagaStep, role: str, arguments: dict[str, Any]) -> Any:
        """Call the step's action or compensation in a span of its own (`saga.action`,
        `saga.compensation`): in the saga's `tracing` provider if it has one, else in the
        process-wide one while observability is on."""
        if role == "action":
            function, accepts = step.action, step.action_accepts
        else:
            assert step.compensation is not None
            function, accepts = step.compensation, step.compensation_accepts
        with saga_step(
            self.saga_type,
            self.saga_id,
            step.name,
            compensation=role == "compensation",
            tracing=self.tracing,
        ):
            return await call(
                function,
                select(arguments, accepts),
                retry=step.retry,
                seconds=step.timeout,
                name=step.name,
            )

    def _check_arguments(self, arguments: dict[str, Any]) -> None:
        reserved = {step.name for step in self.steps} | {RESERVED_NAME}
        clashes = sorted(arguments.keys() & reserved)
        if clashes:
            raise SagaDefinitionError(
                f"execute() argument(s) {clashes} clash with a step name or the reserved "
                f"{RESERVED_NAME!r}: steps receive earlier results under their step names"
            )

    def _check_stored(self, state: SagaState) -> None:
        """Refuse a stored saga that this definition cannot continue."""
        if state.saga_type != self.saga_type:
            raise SagaStateError(
                f"Saga {state.saga_id!r} is a {state.saga_type!r} saga, not {self.saga_type!r}"
            )
        stored = list(state.step_statuses)
        defined = [step.name for step in self.steps]
        if stored != defined[: len(stored)]:
            raise SagaStateError(
                f"Saga {state.saga_id!r} ran steps {stored}, which do not match this "
                f"definition's steps {defined}"
            )


def _check_steps(steps: object) -> None:
    if not isinstance(steps, list | tuple) or not steps:
        raise SagaDefinitionError("A saga needs at least one step")
    seen: set[str] = set()
    for step in steps:
        if not isinstance(step, SagaStep):
            raise SagaDefinitionError(f"Saga steps must be SagaStep objects, got {step!r:.80}")
        if step.name in seen:
            raise SagaDefinitionError(f"Step name {step.name!r} is used twice")
        seen.add(step.name)


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
