"""The SQL of the event store for one schema; values always travel as parameters.

A save is one statement, hence one round trip and one implicit transaction. With an expected
version N it inserts the batch as versions N+1, N+2, ... provided version N exists (or N is 0):
a stream that is behind N gets no rows, and one that is already past N collides on the unique
(stream, version) constraint, so the stream is never left with a gap or a duplicate and no
head needs reading on the happy path. Without an expected version the batch goes after the
head the statement reads; a concurrent writer that read the same head collides likewise.
Batches travel as parallel arrays (`unnest`), a single event as scalar parameters. Every
append holds the writers' lock and records its transaction id as `_horizon` explains, and
returns the checkpoint of its last event.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.infrastructure.postgres._horizon import (
    LATE_TX_ID,
    horizon_ctes,
    stored,
    take_writer_lock,
)
from orchestrix.infrastructure.postgres._identifiers import quote_schema


@dataclass(frozen=True, slots=True)
class ExpectedAppends:
    """Appends after an expected version, each returning its last event's (tx_id, position),
    or no row (or NULLs, for a batch) when the stream is not at that version."""

    create_one: str  # expected version 0, one event: a plain insert
    one: str
    many: str

    def choose(self, count: int, expected_version: int) -> str:
        if count > 1:
            return self.many
        return self.create_one if expected_version == 0 else self.one


@dataclass(frozen=True, slots=True)
class EventStatements:
    """Statements bound to one schema and log clock offset."""

    expected: ExpectedAppends
    late: ExpectedAppends  # in a caller's transaction that wrote something else first
    one_any: str
    many_any: str
    writer_lock: str
    stream_version: str
    existing_ids: str
    load: str
    read_all: str
    holdback: str
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

_COLUMNS = """stream_id, version, tx_id, event_id, event_type, schema_version, correlation_id,
            causation_id, trace_id, actor_id, occurred_at, payload, type_hint"""

_FIELDS = """batch.event_id, batch.event_type, batch.schema_version, batch.correlation_id,
            batch.causation_id, batch.trace_id, batch.actor_id, batch.occurred_at,
            batch.payload, batch.type_hint"""


@dataclass(frozen=True, slots=True)
class _Log:
    """Where events go and how their transaction id and the writers' lock are written."""

    schema: str  # quoted
    key: int
    tx: str

    def insert(self, select: str, *, many: bool) -> str:
        """The insert of `select` (which reads `FROM gate`) under the writers' lock,
        returning the checkpoint of the last event."""
        insert = f"INSERT INTO {self.schema}.events ({_COLUMNS})\n{select}"
        gate = take_writer_lock(self.key)
        if not many:
            return f"WITH {gate}\n{insert}\nRETURNING tx_id::text::bigint, position"
        return f"""WITH {gate}, appended AS ({insert}
            RETURNING tx_id, position)
        SELECT max(tx_id)::text::bigint, max(position) FROM appended"""

    def append(self, source: str, *, expected: bool, many: bool) -> str:
        """Insert the batch in `source` after the expected version ($2) or after the head."""
        if expected:
            return self.insert(
                f"""SELECT $1, $2::bigint + batch.n, {self.tx}, {_FIELDS}
                FROM gate, {source}
                WHERE $2::bigint = 0 OR EXISTS (
                    SELECT FROM {self.schema}.events WHERE stream_id = $1 AND version = $2::bigint
                )
                ORDER BY batch.n""",
                many=many,
            )
        return self.insert(
            f"""SELECT $1, head.version + batch.n, {self.tx}, {_FIELDS}
            FROM gate, (
                SELECT coalesce(max(version), 0) AS version
                FROM {self.schema}.events WHERE stream_id = $1
            ) AS head, {source}
            WHERE $2::bigint IS NULL
            ORDER BY batch.n""",
            many=many,
        )

    def create_one(self) -> str:
        """Start a stream with one event (expected version 0, passed as $2): a plain insert of
        version 1, since the unique (stream, version) constraint alone refuses it when the
        stream exists. The most common write skips the existence check of `append`."""
        return self.insert(
            f"""SELECT $1, $2::bigint + 1, {self.tx}, $3, $4, $5, $6, $7, $8, $9,
                $10::timestamptz, $11::json, $12
            FROM gate""",
            many=False,
        )

    def expected_appends(self) -> ExpectedAppends:
        return ExpectedAppends(
            create_one=self.create_one(),
            one=self.append(_ONE, expected=True, many=False),
            many=self.append(_MANY, expected=True, many=True),
        )


def event_statements(schema_name: str, offset: int, key: int) -> EventStatements:
    """The statements for `schema_name`, storing transaction ids plus `offset`, with `key` the
    writers' lock (`_horizon.writer_lock_key`)."""
    schema = quote_schema(schema_name)
    log = _Log(schema, key, stored("pg_current_xact_id()", offset))
    late = _Log(schema, key, stored(LATE_TX_ID, offset))
    cursor = "(tx_id, position) > ($1::bigint::text::xid8, $2::bigint)"
    return EventStatements(
        expected=log.expected_appends(),
        late=late.expected_appends(),
        one_any=log.append(_ONE, expected=False, many=False),
        many_any=log.append(_MANY, expected=False, many=True),
        # Taken first in a caller's transaction; tells whether it had a transaction id already.
        writer_lock=f"""
            SELECT pg_current_xact_id_if_assigned() IS NOT NULL,
                current_setting('transaction_isolation'), pg_advisory_xact_lock_shared({key})
        """,
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
        # Only transactions below the horizon are read, in (transaction, position) order
        # (SPEC §4). xid8 travels as text; the output is named `tx` so that ORDER BY means the
        # indexed column, not the cast.
        read_all=f"""
            WITH {horizon_ctes(key, offset)}
            SELECT tx_id::text::bigint AS tx, position, stream_id, version, payload,
                schema_version, event_type, type_hint
            FROM {schema}.events
            WHERE {cursor} AND tx_id < (SELECT stored FROM horizon)
            ORDER BY tx_id, position
            LIMIT $3
        """,
        # Are events after the cursor held back, and by which writer (pid, state, age)?
        holdback=f"""
            WITH {horizon_ctes(key, offset)}
            SELECT EXISTS (
                    SELECT FROM {schema}.events
                    WHERE {cursor} AND tx_id >= (SELECT stored FROM horizon)
                ),
                blocker.xid::text::bigint, holder.pid, activity.state,
                coalesce(extract(epoch FROM clock_timestamp() - activity.xact_start)::float8, 0)
            FROM blocker
            LEFT JOIN locks AS holder
                ON holder.locktype = 'transactionid' AND holder.transactionid = xid(blocker.xid)
            LEFT JOIN pg_catalog.pg_stat_activity AS activity ON activity.pid = holder.pid
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


__all__ = ["EventStatements", "ExpectedAppends", "event_statements"]
