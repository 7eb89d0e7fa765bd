"""A saga state as the row durable stores keep, written once for every store.

Step statuses are stored as a JSON list, in step order (PostgreSQL's JSONB does not keep
object key order), the arguments as a JSON object; the other fields are plain columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError
from orchestrix.core.execution.saga_state import SagaState, SagaStatus, SagaStepStatus
from orchestrix.core.execution.value_codec import (
    check_text,
    decode_value,
    dump_data,
    dump_value,
    encode_value,
    load_value,
)
from orchestrix.core.messaging.jsonio import load_json


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def dump_steps(state: SagaState) -> bytes:
    """The step statuses as JSON; `StateEncodingError` if a result cannot be kept."""
    return dump_data(
        [
            {
                "step_name": step.step_name,
                "status": step.status,
                "result": encode_value(step.result),
                "error": step.error,
                "started_at": _time(step.started_at),
                "completed_at": _time(step.completed_at),
            }
            for step in state.step_statuses.values()
        ]
    )


def load_steps(raw: bytes | str) -> dict[str, SagaStepStatus]:
    """The step statuses `dump_steps` wrote, in step order."""
    steps: dict[str, SagaStepStatus] = {}
    try:
        for item in load_json(raw):
            steps[item["step_name"]] = _step(item)
    except (KeyError, TypeError, ValueError) as error:
        raise EventDecodingError(f"Stored saga steps are malformed: {error!r}") from error
    return steps


def _step(item: dict[str, Any]) -> SagaStepStatus:
    return SagaStepStatus(
        step_name=item["step_name"],
        status=item["status"],
        result=decode_value(item["result"]),
        error=item["error"],
        started_at=_parse_time(item["started_at"]),
        completed_at=_parse_time(item["completed_at"]),
    )


def dump_context(state: SagaState) -> bytes:
    """The `execute()` arguments as JSON; `StateEncodingError` if one cannot be kept."""
    return dump_value(state.context)


def load_context(raw: bytes | str) -> dict[str, Any]:
    context = load_value(raw)
    if not isinstance(context, dict):
        raise EventDecodingError(f"Stored saga arguments are not an object: {context!r:.80}")
    return context


COLUMNS = (
    "saga_id",
    "saga_type",
    "status",
    "version",
    "current_step_index",
    "step_statuses",
    "context",
    "error",
    "started_at",
    "completed_at",
    "created_at",
    "updated_at",
)
"""The row's columns, in the order of `row_values`; the last four are times."""


def row_values(state: SagaState) -> tuple[Any, ...]:
    """The column values of `state` (JSON as text); `StateEncodingError` if one cannot be kept."""
    check_text(state.saga_id, "saga_id")
    check_text(state.saga_type, "saga_type")
    if state.error is not None:
        check_text(state.error, "error")
    return (
        state.saga_id,
        state.saga_type,
        state.status.value,
        state.version,
        state.current_step_index,
        dump_steps(state).decode(),
        dump_context(state).decode(),
        state.error,
        state.started_at,
        state.completed_at,
        state.created_at,
        state.updated_at,
    )


def state_from_row(row: Sequence[Any]) -> SagaState:
    """The state whose `row_values` (times as datetimes) are `row`."""
    (saga_id, saga_type, status, version, index, steps, context, error, *times) = row
    started, completed, created, updated = times
    return SagaState(
        saga_id=saga_id,
        saga_type=saga_type,
        status=SagaStatus(status),
        step_statuses=load_steps(steps),
        current_step_index=index,
        started_at=started,
        completed_at=completed,
        error=error,
        context=load_context(context),
        version=version,
        created_at=created,
        updated_at=updated,
    )


def check_storable(state: SagaState) -> None:
    """Raise `StateEncodingError` if a durable store could not keep `state`."""
    row_values(state)


__all__ = [
    "COLUMNS",
    "check_storable",
    "dump_context",
    "dump_steps",
    "load_context",
    "load_steps",
    "row_values",
    "state_from_row",
]
