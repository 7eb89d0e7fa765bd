"""The saga's data shapes are the first release's (reference §4): enum values, fields,
defaults and how each is constructed."""

from __future__ import annotations

import dataclasses

import pytest

from orchestrix.core.execution.saga import SagaState, SagaStatus, SagaStep, SagaStepStatus


def test_saga_status_values_and_text() -> None:
    assert [(status.name, status.value) for status in SagaStatus] == [
        ("PENDING", "pending"),
        ("IN_PROGRESS", "in_progress"),
        ("COMPLETED", "completed"),
        ("COMPENSATING", "compensating"),
        ("FAILED", "failed"),
    ]
    assert SagaStatus.FAILED == "failed"
    assert str(SagaStatus.FAILED) == f"{SagaStatus.FAILED}" == "SagaStatus.FAILED"


def test_step_status_fields_defaults_and_positional_construction() -> None:
    names = [field.name for field in dataclasses.fields(SagaStepStatus)]
    assert names == ["step_name", "status", "result", "error", "started_at", "completed_at"]
    pending = SagaStepStatus("reserve")
    assert (pending.status, pending.result, pending.error) == ("pending", None, None)
    assert (pending.started_at, pending.completed_at) == (None, None)
    done = SagaStepStatus("reserve", "completed", {"id": 1})
    assert (done.step_name, done.status, done.result) == ("reserve", "completed", {"id": 1})
    assert done == SagaStepStatus(step_name="reserve", status="completed", result={"id": 1})


def test_saga_state_defaults_are_keyword_only() -> None:
    state = SagaState(saga_id="s-1", saga_type="order")
    assert state.status is SagaStatus.PENDING
    assert (state.step_statuses, state.current_step_index) == ({}, 0)
    assert (state.started_at, state.completed_at, state.error) == (None, None, None)
    assert not state.is_completed()
    for status in (SagaStatus.COMPLETED, SagaStatus.FAILED):
        assert dataclasses.replace(state, status=status).is_completed()
    with pytest.raises(TypeError):
        SagaState("s-1", "order")  # type: ignore[misc]


def test_step_is_built_positionally_with_an_optional_compensation() -> None:
    def action() -> None: ...

    step = SagaStep("reserve", action)
    assert (step.name, step.action, step.compensation) == ("reserve", action, None)
    assert SagaStep("reserve", action, compensation=action).compensation is action
    with pytest.raises(ValueError, match=r"^Step name cannot be empty$"):
        SagaStep("", action)
    with pytest.raises(ValueError, match=r"^Step action cannot be None$"):
        SagaStep("reserve", None)  # type: ignore[arg-type]
