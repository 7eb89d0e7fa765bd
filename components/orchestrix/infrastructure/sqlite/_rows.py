"""The SQL of the store and the mapping between events, snapshots and rows.

Written once for the sync and async stores (the async one runs the sync one in a worker
thread). Every statement takes its values as parameters; the only text built at run time is a
list of `?` placeholders.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import repeat
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError
from orchestrix.core.eventsourcing.event_log import RecordedEvent, recorded_events
from orchestrix.core.eventsourcing.snapshot import Snapshot, decode_state, encode_state
from orchestrix.core.messaging.codec import (
    decode_columns,
    event_reader,
    event_to_data,
    refuse_personal,
    stored_type,
)
from orchestrix.core.messaging.jsonio import dump_json
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.personal import Sealer

SELECT_VERSION = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?"
INSERT_EVENT = """
    INSERT INTO events (
        stream_id, version, event_id, event_type, schema_version, timestamp,
        correlation_id, causation_id, trace_id, actor_id, payload, type_hint
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
SELECT_STREAM = """
    SELECT version, schema_version, payload, event_type, type_hint FROM events
    WHERE stream_id = ? AND version > ? ORDER BY version
"""
SELECT_AFTER = """
    SELECT position, stream_id, version, schema_version, payload, event_type, type_hint
    FROM events WHERE position > ? ORDER BY position LIMIT ?
"""
UPSERT_SNAPSHOT = """
    INSERT INTO snapshots (aggregate_id, aggregate_type, version, schema_version, timestamp, state)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (aggregate_id) DO UPDATE SET
        aggregate_type = excluded.aggregate_type,
        version = excluded.version,
        schema_version = excluded.schema_version,
        timestamp = excluded.timestamp,
        state = excluded.state
    WHERE excluded.version >= snapshots.version
"""
SELECT_SNAPSHOT = """
    SELECT aggregate_id, aggregate_type, version, schema_version, timestamp, state
    FROM snapshots WHERE aggregate_id = ?
"""

type EncodedEvent = tuple[
    str, str, int, str, str | None, str | None, str | None, str | None, str, str
]
"""An event's columns after the stream id and version, payload and class hint last."""

_ID_CHUNK = 500  # stays well below SQLite's limit on parameters per statement


type Decode = Callable[
    [Sequence[Any], Sequence[int], Sequence[str], Sequence[str | None]], list[Event]
]
"""`decode_columns`, or personal-data protection's, which opens sealed fields."""
type StateHook = Callable[[str, Any], Any]
"""Seals or opens a snapshot state (personal-data protection)."""


def encode_events(events: Iterable[Event], sealer: Sealer = refuse_personal) -> list[EncodedEvent]:
    """The columns of each event, personal fields sealed by `sealer` (refused by default);
    raises EventEncodingError before anything is written."""
    return [_columns(event, sealer) for event in events]


def _columns(event: Event, sealer: Sealer) -> EncodedEvent:
    # Its timestamp text serves the column too: encoded once.
    data = event_to_data(event, sealer=sealer)
    stored = stored_type(event)
    return (
        event.id,
        stored.type_name,
        stored.schema_version,
        data["timestamp"],
        event.correlation_id,
        event.causation_id,
        event.trace_id,
        event.actor_id,
        dump_json(data).decode(),
        stored.hint,
    )


def event_rows(
    aggregate_id: str, current_version: int, encoded: Sequence[EncodedEvent]
) -> Iterator[tuple[Any, ...]]:
    """The rows that append `encoded` to a stream that is at `current_version`."""
    for version, columns in enumerate(encoded, current_version + 1):
        yield (aggregate_id, version, *columns)


type StreamRow = tuple[int, int, str, str, str | None]
"""A row of `SELECT_STREAM`: version, schema version, payload, type name, class hint."""
type LogRow = tuple[int, str, int, int, str, str, str | None]
"""A row of `SELECT_AFTER`: position, stream id, then the columns of a `StreamRow`."""


def decode_stream(
    aggregate_id: str, rows: list[StreamRow], decode: Decode = decode_columns
) -> list[Event]:
    """The events of `SELECT_STREAM` rows, decoded as a batch; a bad payload names its row."""
    if not rows:
        return []
    _, schema_versions, payloads, type_names, hints = zip(*rows, strict=True)
    try:
        return decode(payloads, schema_versions, type_names, hints)
    except EventDecodingError:
        read = event_reader()
        for row in rows:  # find the damaged row, to say where it is
            _decode_one(read, aggregate_id, row)
        raise


def decode_log(rows: list[LogRow], decode: Decode = decode_columns) -> list[RecordedEvent]:
    """The log entries of `SELECT_AFTER` rows, decoded as a batch."""
    if not rows:
        return []
    positions, streams, versions, schema_versions, payloads, type_names, hints = zip(
        *rows, strict=True
    )
    try:
        events = decode(payloads, schema_versions, type_names, hints)
    except EventDecodingError:
        read = event_reader()
        for row in rows:
            _decode_one(read, row[1], row[2:])
        raise
    return recorded_events(events, streams, versions, positions, repeat(0))


def _decode_one(
    read: Callable[[str, int, str, str | None], Event], aggregate_id: str, row: StreamRow
) -> Event:
    version, schema_version, payload, event_type, type_hint = row
    try:
        return read(payload, schema_version, event_type, type_hint)
    except EventDecodingError as error:
        raise EventDecodingError(f"Stream {aggregate_id!r}, version {version}: {error}") from error


def first_duplicate(connection: sqlite3.Connection, ids: Sequence[str]) -> str | None:
    """The first id of a failed batch that is stored already or repeats an earlier one.

    Call it after the batch was rolled back, so that only previously stored rows match.
    """
    stored: set[str] = set()
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        placeholders = ", ".join("?" * len(chunk))
        query = f"SELECT event_id FROM events WHERE event_id IN ({placeholders})"
        stored.update(event_id for (event_id,) in connection.execute(query, chunk))
    seen: set[str] = set()
    for event_id in ids:
        if event_id in stored or event_id in seen:
            return event_id
        seen.add(event_id)
    return None


def snapshot_row(snapshot: Snapshot, seal: StateHook | None = None) -> tuple[Any, ...]:
    """The `UPSERT_SNAPSHOT` parameters; raises EventEncodingError for non-JSON state."""
    state = encode_state(snapshot)
    if seal is not None:
        state = seal(snapshot.aggregate_id, state)
    return (
        snapshot.aggregate_id,
        snapshot.aggregate_type,
        snapshot.version,
        snapshot.schema_version,
        snapshot.timestamp.isoformat(),
        state.decode(),
    )


def snapshot_from_row(row: tuple[Any, ...], opened: StateHook | None = None) -> Snapshot:
    """A row of `SELECT_SNAPSHOT` as a snapshot; raises EventDecodingError if it is damaged."""
    aggregate_id, aggregate_type, version, schema_version, timestamp, state = row
    if opened is not None:
        state = opened(aggregate_id, state)
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError) as error:
        message = f"Snapshot of {aggregate_id!r} has a bad timestamp: {error}"
        raise EventDecodingError(message) from error
    data = decode_state(aggregate_id, state)
    return Snapshot(aggregate_id, aggregate_type, version, data, moment, schema_version)


__all__ = [
    "INSERT_EVENT",
    "SELECT_AFTER",
    "SELECT_SNAPSHOT",
    "SELECT_STREAM",
    "SELECT_VERSION",
    "UPSERT_SNAPSHOT",
    "EncodedEvent",
    "decode_log",
    "decode_stream",
    "encode_events",
    "event_rows",
    "first_duplicate",
    "snapshot_from_row",
    "snapshot_row",
]
