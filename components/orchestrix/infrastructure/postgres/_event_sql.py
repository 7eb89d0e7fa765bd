"""The SQL of the event store for one schema; values always travel as parameters.

A save is one statement, hence one round trip and one implicit transaction. With an expected
version N it inserts the batch as versions N+1, N+2, ... provided version N exists (or N is 0):
a stream that is behind N gets no rows, and one that is already past N collides on the unique
(stream, version) constraint, so the stream is never left with a gap or a duplicate and no
head needs reading on the happy path. Without an expected version the batch goes after the
head the statement reads; a concurrent writer that read the same head collides likewise.
Batches travel as parallel arrays (`unnest`), a single event as scalar parameters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventStatements:
    """Statements bound to one schema (its name validated and quoted beforehand)."""

    create_one: str
    append_one_expected: str
    append_one_any: str
    append_many_expected: str
    append_many_any: str
    stream_version: str
    existing_ids: str
    load: str
    read_all: str
    more_after: str
    save_snapshot: str
    load_snapshot: str


_BATCH = """batch(
    event_id, event_type, schema_version, correlation_id, causation_id, trace_id, actor_id,
    occurred_at, payload, type_hint, n
)"""

# One event as scalar parameters: the server runs this measurably faster than `unnest`.
_ONE = f"""(VALUES (
    $3, $4, $5::integer, $6, $7, $8, $9, $10::timestamptz, $11::json, $12, 1::bigint
)) AS {_BATCH}"""

_MANY = f"""unnest(
    $3::text[], $4::text[], $5::integer[], $6::text[], $7::text[], $8::text[], $9::text[],
    $10::timestamptz[], $11::json[], $12::text[]
) WITH ORDINALITY AS {_BATCH}"""


def _append(schema: str, source: str, *, expected: bool) -> str:
    """Insert the batch in `source` after the expected version ($2) or after the head."""
    insert = f"""
        INSERT INTO {schema}.events (
            stream_id, version, event_id, event_type, schema_version, correlation_id,
            causation_id, trace_id, actor_id, occurred_at, payload, type_hint
        )"""
    fields = """batch.event_id, batch.event_type, batch.schema_version, batch.correlation_id,
            batch.causation_id, batch.trace_id, batch.actor_id, batch.occurred_at,
            batch.payload, batch.type_hint"""
    if expected:
        return f"""{insert}
        SELECT $1, $2::bigint + batch.n, {fields}
        FROM {source}
        WHERE $2::bigint = 0
            OR EXISTS (SELECT FROM {schema}.events WHERE stream_id = $1 AND version = $2::bigint)
        ORDER BY batch.n
        """
    return f"""{insert}
        SELECT $1, head.version + batch.n, {fields}
        FROM (
            SELECT coalesce(max(version), 0) AS version FROM {schema}.events WHERE stream_id = $1
        ) AS head, {source}
        WHERE $2::bigint IS NULL
        ORDER BY batch.n
        """


def _create_one(schema: str) -> str:
    """Start a stream with one event (expected version 0, passed as $2): a plain insert of
    version 1, since the unique (stream, version) constraint alone refuses it when the stream
    exists. The most common write skips the existence check of `_append`."""
    return f"""
        INSERT INTO {schema}.events (
            stream_id, version, event_id, event_type, schema_version, correlation_id,
            causation_id, trace_id, actor_id, occurred_at, payload, type_hint
        ) VALUES (
            $1, $2::bigint + 1, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, $11::json, $12
        )
        """


def event_statements(schema: str) -> EventStatements:
    """The statements for the already-quoted `schema`."""
    return EventStatements(
        create_one=_create_one(schema),
        append_one_expected=_append(schema, _ONE, expected=True),
        append_one_any=_append(schema, _ONE, expected=False),
        append_many_expected=_append(schema, _MANY, expected=True),
        append_many_any=_append(schema, _MANY, expected=False),
        stream_version=f"""
            SELECT coalesce(max(version), 0) FROM {schema}.events WHERE stream_id = $1
        """,
        existing_ids=f"""
            SELECT event_id FROM {schema}.events WHERE event_id = ANY($1::text[])
        """,
        load=f"""
            SELECT version, payload, schema_version, event_type, type_hint FROM {schema}.events
            WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3
        """,
        # Transactions still running may yet commit events: read only those older than all of
        # them, in (transaction, position) order (SPEC §4). xid8 travels as text; the output
        # is named `tx` so that ORDER BY means the indexed column, not the cast.
        read_all=f"""
            SELECT tx_id::text::bigint AS tx, position, stream_id, version, payload, schema_version,
                event_type, type_hint
            FROM {schema}.events
            WHERE (tx_id, position) > ($1::bigint::text::xid8, $2::bigint)
                AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, position
            LIMIT $3
        """,
        # Anything committed after the cursor, readable yet or still held back?
        more_after=f"""
            SELECT EXISTS (
                SELECT 1 FROM {schema}.events
                WHERE (tx_id, position) > ($1::bigint::text::xid8, $2::bigint)
            )
        """,
        save_snapshot=f"""
            INSERT INTO {schema}.snapshots AS kept (
                aggregate_id, aggregate_type, version, schema_version, state, taken_at
            ) VALUES ($1, $2, $3, $4, $5::json, $6)
            ON CONFLICT (aggregate_id) DO UPDATE SET
                aggregate_type = excluded.aggregate_type, version = excluded.version,
                schema_version = excluded.schema_version, state = excluded.state,
                taken_at = excluded.taken_at
            WHERE kept.version <= excluded.version
        """,
        load_snapshot=f"""
            SELECT aggregate_type, version, state, taken_at, schema_version
            FROM {schema}.snapshots WHERE aggregate_id = $1
        """,
    )


__all__ = ["EventStatements", "event_statements"]
