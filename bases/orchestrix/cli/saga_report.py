"""What `saga list` and `saga show` print of a stored saga: tables for people, JSON for tools.

JSON keeps arguments and results lossless in the saga stores' own tagged form (a Decimal is
`{"$decimal": "9.99"}`, see `orchestrix.core.execution.value_codec`); tables show them as
Python writes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table

from orchestrix.core.execution.saga_state import SagaState
from orchestrix.core.execution.value_codec import encode_value

_SHOWN_CHARACTERS = 60


def current_step(state: SagaState) -> str:
    """The step the saga is in, or ended in ("-" before the first one started)."""
    steps = list(state.step_statuses)
    if state.current_step_index < len(steps):
        return steps[state.current_step_index]
    return "-"


def saga_table(states: list[SagaState]) -> Table:
    table = Table("Saga id", "Type", "Status", "Step", "Updated", "Error")
    for state in states:
        table.add_row(
            state.saga_id,
            state.saga_type,
            state.status.value,
            current_step(state),
            _time(state.updated_at),
            _short(state.error),
        )
    return table


def saga_details(state: SagaState) -> Table:
    """The saga's own fields and its arguments, one per line."""
    lines = [
        ("Saga", state.saga_id),
        ("Type", state.saga_type),
        ("Status", state.status.value),
        ("Step", current_step(state)),
        ("Version", str(state.version)),
        ("Created", _time(state.created_at)),
        ("Started", _time(state.started_at)),
        ("Completed", _time(state.completed_at)),
        ("Updated", _time(state.updated_at)),
        ("Error", state.error or "-"),
    ]
    grid = Table.grid(padding=(0, 2))
    for label, value in lines:
        grid.add_row(f"{label}:", value)
    if state.context:
        grid.add_row("Arguments:", "")
        for name, value in state.context.items():
            grid.add_row(f"  {name}", _short(repr(value)))
    return grid


def step_table(state: SagaState) -> Table:
    table = Table("Step", "Status", "Started", "Completed", "Result", "Error")
    results = state.step_results
    for step in state.step_statuses.values():
        name = step.step_name
        table.add_row(
            step.step_name,
            step.status,
            _time(step.started_at),
            _time(step.completed_at),
            _short(repr(results[name])) if name in results else "-",
            step.error or "-",
        )
    return table


def saga_json(state: SagaState, *, steps: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "saga_id": state.saga_id,
        "saga_type": state.saga_type,
        "status": state.status.value,
        "step": current_step(state),
        "version": state.version,
        "error": state.error,
        "created_at": _iso(state.created_at),
        "started_at": _iso(state.started_at),
        "completed_at": _iso(state.completed_at),
        "updated_at": _iso(state.updated_at),
    }
    if steps:
        shown["arguments"] = encode_value(state.context)
        shown["steps"] = [
            {
                "step": step.step_name,
                "status": step.status,
                "result": encode_value(step.result),
                "error": step.error,
                "started_at": _iso(step.started_at),
                "completed_at": _iso(step.completed_at),
            }
            for step in state.step_statuses.values()
        ]
    return shown


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat(timespec="seconds")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _short(text: str | None) -> str:
    if not text:
        return "-"
    return text if len(text) <= _SHOWN_CHARACTERS else f"{text[: _SHOWN_CHARACTERS - 1]}…"


__all__ = ["current_step", "saga_details", "saga_json", "saga_table", "step_table"]
