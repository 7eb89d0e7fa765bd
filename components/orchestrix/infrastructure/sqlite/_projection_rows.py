"""The SQL of the projection tables and the mapping between their rows and our objects.

Every value travels as a parameter; table names are fixed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestrix.core.eventsourcing.projection_dead_letters import (
    DEAD_LETTER_COLUMNS,
    DeadLetteredEvent,
    dead_letter_from_row,
    dead_letter_row,
)
from orchestrix.core.eventsourcing.projection_state import ProjectionState

_STATE_COLUMNS = """projection_id, last_event_id, last_position, last_tx_id, updated_at,
    error_count, is_healthy"""
_STATE_SET = """last_event_id = excluded.last_event_id, last_position = excluded.last_position,
    last_tx_id = excluded.last_tx_id, updated_at = excluded.updated_at,
    error_count = excluded.error_count, is_healthy = excluded.is_healthy"""

SELECT_STATE = f"SELECT {_STATE_COLUMNS} FROM projection_states WHERE projection_id = ?"
SELECT_STATES = f"SELECT {_STATE_COLUMNS} FROM projection_states ORDER BY projection_id"
UPSERT_STATE = f"""
    INSERT INTO projection_states ({_STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (projection_id) DO UPDATE SET {_STATE_SET}
"""
# Compare-and-set from the origin: insert, or replace a state that is still at the origin.
CREATE_STATE = f"""
    INSERT INTO projection_states ({_STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (projection_id) DO UPDATE SET {_STATE_SET}
    WHERE projection_states.last_tx_id = 0 AND projection_states.last_position = 0
"""
# Compare-and-set from a checkpoint: the parameters of the state, then the expected pair.
MOVE_STATE = """
    UPDATE projection_states SET last_event_id = ?, last_position = ?, last_tx_id = ?,
        updated_at = ?, error_count = ?, is_healthy = ?
    WHERE projection_id = ? AND last_tx_id = ? AND last_position = ?
"""
DELETE_STATE = "DELETE FROM projection_states WHERE projection_id = ?"

_DEAD_COLUMNS = ", ".join(DEAD_LETTER_COLUMNS)
UPSERT_DEAD_LETTER = f"""
    INSERT INTO projection_dead_letters ({_DEAD_COLUMNS})
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (projection_id, event_id) DO UPDATE SET
        error_type = excluded.error_type, error_message = excluded.error_message,
        attempts = excluded.attempts, failed_at = excluded.failed_at
"""
SELECT_DEAD_LETTERS = f"""
    SELECT {_DEAD_COLUMNS} FROM projection_dead_letters WHERE projection_id = ?
    ORDER BY tx_id, position
"""
DELETE_DEAD_LETTER = "DELETE FROM projection_dead_letters WHERE projection_id = ? AND event_id = ?"
DELETE_DEAD_LETTERS = "DELETE FROM projection_dead_letters WHERE projection_id = ?"

UPSERT_LIVE = """
    INSERT INTO projection_live_versions (name, projection_id) VALUES (?, ?)
    ON CONFLICT (name) DO UPDATE SET projection_id = excluded.projection_id,
        promoted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
"""
SELECT_LIVE = "SELECT projection_id FROM projection_live_versions WHERE name = ?"


def state_values(state: ProjectionState) -> tuple[Any, ...]:
    """The state's columns after its id, in `MOVE_STATE` order."""
    return (
        state.last_processed_event_id,
        state.last_processed_position,
        state.last_processed_tx_id,
        state.updated_at.isoformat(),
        state.error_count,
        int(state.is_healthy),
    )


def state_row(state: ProjectionState) -> tuple[Any, ...]:
    """The parameters of `UPSERT_STATE` / `CREATE_STATE`."""
    return (state.projection_id, *state_values(state))


def state_from_row(row: tuple[Any, ...]) -> ProjectionState:
    projection_id, event_id, position, tx_id, updated_at, error_count, is_healthy = row
    return ProjectionState(
        projection_id=projection_id,
        last_processed_event_id=event_id,
        last_processed_position=position,
        last_processed_tx_id=tx_id,
        updated_at=datetime.fromisoformat(updated_at),
        error_count=error_count,
        is_healthy=bool(is_healthy),
    )


def dead_letter_values(entry: DeadLetteredEvent) -> tuple[Any, ...]:
    """The parameters of `UPSERT_DEAD_LETTER` (the time as ISO text)."""
    *values, failed_at = dead_letter_row(entry)
    return (*values, failed_at.isoformat())


def dead_letter_from_values(row: tuple[Any, ...]) -> DeadLetteredEvent:
    """A row of `SELECT_DEAD_LETTERS` as a dead letter."""
    return dead_letter_from_row((*row[:-1], datetime.fromisoformat(row[-1])))


__all__ = [
    "CREATE_STATE",
    "DELETE_DEAD_LETTER",
    "DELETE_DEAD_LETTERS",
    "DELETE_STATE",
    "MOVE_STATE",
    "SELECT_DEAD_LETTERS",
    "SELECT_LIVE",
    "SELECT_STATE",
    "SELECT_STATES",
    "UPSERT_DEAD_LETTER",
    "UPSERT_LIVE",
    "UPSERT_STATE",
    "dead_letter_from_values",
    "dead_letter_values",
    "state_from_row",
    "state_row",
    "state_values",
]
