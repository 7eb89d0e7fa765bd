"""Snapshots: an aggregate's state at a version, so loading need not replay the whole stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.messaging._converters import Refused, json_value
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Event


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Snapshot:
    """The state of one aggregate after `version` events.

    `aggregate_type` and `schema_version` let a loader refuse a snapshot taken by another class
    or by an older shape of the same class; `state` holds JSON-compatible data.
    """

    aggregate_id: str
    aggregate_type: str
    version: int
    state: dict[str, Any]
    timestamp: datetime = field(default_factory=_now)
    schema_version: int = 1


def encode_state(snapshot: Snapshot) -> bytes:
    """The snapshot's state as JSON bytes, the same for every store: it must be JSON data
    (what `take_snapshot` makes), or `EventEncodingError` says what is not."""
    if type(snapshot.state) is not dict:
        raise EventEncodingError(f"Snapshot state must be a dict, not {type(snapshot.state)}")
    try:
        return dump_json(json_value(snapshot.state))
    except Refused as error:
        message = f"Snapshot state of {snapshot.aggregate_id!r} is not JSON data: {error}"
        raise EventEncodingError(message) from None
    except RecursionError:
        message = f"Snapshot state of {snapshot.aggregate_id!r} is nested too deeply"
        raise EventEncodingError(message) from None


def decode_state(aggregate_id: str, raw: bytes | str) -> dict[str, Any]:
    """A stored state; `EventDecodingError` when it is damaged or not a JSON object, so that
    the repository ignores the snapshot and replays the events instead."""
    state = load_json(raw)
    if type(state) is not dict:
        kind = type(state).__name__
        raise EventDecodingError(f"Snapshot of {aggregate_id!r} has a {kind} state, not an object")
    return state


class SnapshotStore(Protocol):
    """Keeps the latest snapshot per aggregate (sync stores)."""

    def save_snapshot(self, snapshot: Snapshot) -> None: ...

    def load_snapshot(self, aggregate_id: str) -> Snapshot | None: ...


class EventStore(SnapshotStore, Protocol):
    """The first release's protocol of this module: a sync store that keeps snapshots beside
    its events (distinct from `event_store.EventStore`, which the package exports)."""

    def save(self, aggregate_id: str, events: list[Event]) -> object: ...

    def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]: ...


class AsyncSnapshotStore(Protocol):
    """Keeps the latest snapshot per aggregate (async stores)."""

    async def save_snapshot_async(self, snapshot: Snapshot) -> None: ...

    async def load_snapshot_async(self, aggregate_id: str) -> Snapshot | None: ...


__all__ = [
    "AsyncSnapshotStore",
    "EventStore",
    "Snapshot",
    "SnapshotStore",
    "decode_state",
    "encode_state",
]
