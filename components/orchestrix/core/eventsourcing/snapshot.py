"""Snapshots: an aggregate's state at a version, so loading need not replay the whole stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


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


class SnapshotStore(Protocol):
    """Keeps the latest snapshot per aggregate (sync stores)."""

    def save_snapshot(self, snapshot: Snapshot) -> None: ...

    def load_snapshot(self, aggregate_id: str) -> Snapshot | None: ...


class AsyncSnapshotStore(Protocol):
    """Keeps the latest snapshot per aggregate (async stores)."""

    async def save_snapshot_async(self, snapshot: Snapshot) -> None: ...

    async def load_snapshot_async(self, aggregate_id: str) -> Snapshot | None: ...


__all__ = ["AsyncSnapshotStore", "Snapshot", "SnapshotStore"]
