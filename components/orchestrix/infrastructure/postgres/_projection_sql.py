"""The SQL of the projection tables for one schema; values always travel as parameters."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.eventsourcing.projection_dead_letters import DEAD_LETTER_COLUMNS
from orchestrix.infrastructure.postgres._horizon import horizon_ctes

_DEAD_LETTER_COLUMNS = ", ".join(DEAD_LETTER_COLUMNS)

NOTIFY_CHANNEL = "orchestrix_events"
"""Notified (payload: the schema name) once events appended to that schema have committed."""


@dataclass(frozen=True, slots=True)
class ProjectionStatements:
    """Statements bound to one schema (its name validated and quoted beforehand)."""

    states: str
    create_state: str
    move_state: str
    save_dead_letter: str
    dead_letters: str
    resolve_dead_letter: str
    discard_dead_letters: str
    set_live: str
    live: str
    log_offset: str
    backlog: str


def head_statement(schema: str, key: int, offset: int) -> str:
    """The checkpoint of the last event readers of the log can see: the newest below the
    horizon `read_all` stops at (`_horizon`), for the writers' lock `key` and clock `offset`."""
    return f"""
        WITH {horizon_ctes(key, offset)}
        SELECT tx_id::text::bigint AS tx, position FROM {schema}.events
        WHERE tx_id < (SELECT stored FROM horizon)
        ORDER BY tx_id DESC, position DESC LIMIT 1
    """


def projection_statements(schema: str) -> ProjectionStatements:
    columns = """last_event_id = excluded.last_event_id, last_position = excluded.last_position,
        last_tx_id = excluded.last_tx_id, updated_at = excluded.updated_at,
        error_count = excluded.error_count, is_healthy = excluded.is_healthy"""
    return ProjectionStatements(
        # Byte order ("C"), whatever the database's collation: the order of every backend.
        states=f"""
            SELECT projection_id, last_event_id, last_position, last_tx_id, updated_at,
                error_count, is_healthy
            FROM {schema}.projection_states ORDER BY projection_id COLLATE "C"
        """,
        # Compare-and-set from the origin: insert, or replace a state still at the origin.
        create_state=f"""
            INSERT INTO {schema}.projection_states AS kept (
                projection_id, last_event_id, last_position, last_tx_id, updated_at,
                error_count, is_healthy
            ) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (projection_id) DO UPDATE SET {columns}
            WHERE kept.last_tx_id = 0 AND kept.last_position = 0
        """,
        # Compare-and-set from a checkpoint ($8, $9).
        move_state=f"""
            UPDATE {schema}.projection_states SET last_event_id = $2, last_position = $3,
                last_tx_id = $4, updated_at = $5, error_count = $6, is_healthy = $7
            WHERE projection_id = $1 AND last_tx_id = $8 AND last_position = $9
        """,
        save_dead_letter=f"""
            INSERT INTO {schema}.projection_dead_letters ({_DEAD_LETTER_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (projection_id, event_id) DO UPDATE SET
                error_type = excluded.error_type, error_message = excluded.error_message,
                attempts = excluded.attempts, failed_at = excluded.failed_at
        """,
        dead_letters=f"""
            SELECT {_DEAD_LETTER_COLUMNS} FROM {schema}.projection_dead_letters
            WHERE projection_id = $1 ORDER BY tx_id, position
        """,
        resolve_dead_letter=f"""
            DELETE FROM {schema}.projection_dead_letters
            WHERE projection_id = $1 AND event_id = $2
        """,
        discard_dead_letters=f"""
            DELETE FROM {schema}.projection_dead_letters WHERE projection_id = $1
        """,
        set_live=f"""
            INSERT INTO {schema}.projection_live_versions (name, projection_id)
            VALUES ($1, $2)
            ON CONFLICT (name) DO UPDATE SET projection_id = excluded.projection_id,
                promoted_at = now()
        """,
        live=f"SELECT projection_id FROM {schema}.projection_live_versions WHERE name = $1",
        log_offset=f"SELECT tx_offset FROM {schema}.log_clock",
        backlog=f"""
            SELECT count(*), min(recorded_at) FROM {schema}.events
            WHERE (tx_id, position) > ($1::bigint::text::xid8, $2::bigint)
        """,
    )


__all__ = [
    "NOTIFY_CHANNEL",
    "ProjectionStatements",
    "head_statement",
    "projection_statements",
]
