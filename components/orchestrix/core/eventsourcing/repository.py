"""The aggregate repository: loads aggregates from an event store and saves their new events.

Saving passes `expected_version = version - len(uncommitted_events)`, so two writers that
loaded the same version cannot both commit: the second gets `ConcurrencyError`. Loading starts
from the latest snapshot when the store keeps snapshots and the snapshot fits the class.

Snapshots are an optimisation, never a source of errors: once the events are committed, a
snapshot that cannot be taken or written (state the codec refuses, a dropped connection) is
logged and counted, not raised, since a caller who saw an error would retry the command and
apply it twice. A stored snapshot that cannot be read is ignored and the events replayed.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any

from orchestrix.core.common.exceptions import (
    AggregateNotFoundError,
    EventDecodingError,
    StoreUsageError,
)
from orchestrix.core.common.instrumentation import instrumented_repository
from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.observability import get_observability
from orchestrix.core.eventsourcing.aggregate_root import AggregateRoot
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.event_store import AsyncEventStore, EventStore
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging.codec import from_data, to_data
from orchestrix.core.messaging.message import Event

_logger = get_logger(__name__)
_BASE_FIELDS = frozenset({"aggregate_id", "version", "uncommitted_events"})


@instrumented_repository
@dataclass
class AggregateRepository[T: AggregateRoot]:
    """Loads and saves aggregates of any type through one event store.

    `snapshot_every=N` stores a snapshot whenever a save carries the aggregate across a
    multiple of N events (only for stores that keep snapshots).
    """

    event_store: EventStore | AsyncEventStore
    snapshot_every: int | None = None
    snapshot_failures: int = field(default=0, init=False)
    """Snapshots that could not be taken or written since this repository was made."""
    _store_is_async: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.snapshot_every is not None and self.snapshot_every < 1:
            raise ValueError("snapshot_every must be 1 or greater")
        self._store_is_async = inspect.iscoroutinefunction(self.event_store.load)

    def load(self, aggregate_type: type[T], aggregate_id: str) -> T:
        """The aggregate rebuilt from its snapshot and events; AggregateNotFoundError if none."""
        store = self._sync_store("load")
        load_snapshot = getattr(store, "load_snapshot", None)
        snapshot = None
        if load_snapshot is not None:
            try:
                snapshot = load_snapshot(aggregate_id)
            except EventDecodingError as error:
                _ignore_damaged(aggregate_type, aggregate_id, error)
        aggregate = _from_snapshot(aggregate_type, aggregate_id, snapshot)
        events = store.load(aggregate_id, from_version=aggregate.version)
        return _replayed(aggregate, events)

    def save(self, aggregate: T) -> Checkpoint | None:
        """Store the aggregate's new events, guarded by the version it was loaded at; returns
        the checkpoint of the last one (None when there was nothing to store), to wait for
        projections with."""
        store = self._sync_store("save")
        events, expected = _pending(aggregate)
        if not events:
            return None
        checkpoint = store.save(aggregate.aggregate_id, events, expected_version=expected)
        aggregate.mark_events_committed()
        save_snapshot = getattr(store, "save_snapshot", None)
        if save_snapshot is not None and self._snapshot_due(expected, aggregate.version):
            try:
                save_snapshot(take_snapshot(aggregate))
            except Exception as error:
                self._snapshot_failed(aggregate, error)
        return checkpoint

    async def load_async(self, aggregate_type: type[T], aggregate_id: str) -> T:
        """Async `load`; works with async stores (and sync ones, which it calls directly)."""
        try:
            snapshot = await _maybe_await(_call(self.event_store, "load_snapshot", aggregate_id))
        except EventDecodingError as error:
            _ignore_damaged(aggregate_type, aggregate_id, error)
            snapshot = None
        aggregate = _from_snapshot(aggregate_type, aggregate_id, snapshot)
        events = await _maybe_await(
            self.event_store.load(aggregate_id, from_version=aggregate.version)
        )
        return _replayed(aggregate, events)

    async def save_async(self, aggregate: T) -> Checkpoint | None:
        """Async `save`; works with async stores (and sync ones, which it calls directly)."""
        events, expected = _pending(aggregate)
        if not events:
            return None
        checkpoint: Checkpoint | None = await _maybe_await(
            self.event_store.save(aggregate.aggregate_id, events, expected_version=expected)
        )
        aggregate.mark_events_committed()
        if self._snapshot_due(expected, aggregate.version):
            try:
                snapshot = take_snapshot(aggregate)
                await _maybe_await(_call(self.event_store, "save_snapshot", snapshot))
            except Exception as error:
                self._snapshot_failed(aggregate, error)
        return checkpoint

    def _sync_store(self, operation: str) -> EventStore:
        if self._store_is_async:
            raise StoreUsageError(
                f"{type(self.event_store).__name__} is async: use "
                f"`await repository.{operation}_async(...)` instead of `{operation}(...)`"
            )
        return self.event_store  # type: ignore[return-value]

    def _snapshot_failed(self, aggregate: AggregateRoot, error: Exception) -> None:
        """The events are stored: report the failed snapshot, never raise it."""
        self.snapshot_failures += 1
        _logger.warning(
            "Events of %s %r are stored, but its snapshot failed: %r",
            type(aggregate).__name__,
            aggregate.aggregate_id,
            error,
        )
        get_observability().record_aggregate_error(
            aggregate.aggregate_id, f"snapshot failed: {type(error).__name__}"
        )

    def _snapshot_due(self, before: int, after: int) -> bool:
        every = self.snapshot_every
        return every is not None and after // every > before // every


def _pending(aggregate: AggregateRoot) -> tuple[list[Event], int]:
    events = list(aggregate.uncommitted_events)
    return events, aggregate.version - len(events)


def take_snapshot(aggregate: AggregateRoot) -> Snapshot:
    """A snapshot of the aggregate's current state, tagged with its class and schema version."""
    state = {k: v for k, v in to_data(aggregate).items() if k not in _BASE_FIELDS}
    return Snapshot(
        aggregate_id=aggregate.aggregate_id,
        aggregate_type=type(aggregate).__name__,
        version=aggregate.version,
        state=state,
        schema_version=type(aggregate).snapshot_schema_version,
    )


def _ignore_damaged(aggregate_type: type, aggregate_id: str, error: Exception) -> None:
    _logger.warning(
        "Ignoring unreadable snapshot of %s %r: %s", aggregate_type.__name__, aggregate_id, error
    )


def _from_snapshot[A: AggregateRoot](
    aggregate_type: type[A], aggregate_id: str, snapshot: Snapshot | None
) -> A:
    """The aggregate as of the snapshot, or a fresh one when the snapshot does not fit."""
    if snapshot is not None:
        if (
            type(snapshot.state) is dict
            and snapshot.aggregate_type == aggregate_type.__name__
            and snapshot.schema_version == aggregate_type.snapshot_schema_version
            and snapshot.aggregate_id == aggregate_id
            and snapshot.state.keys() == _state_fields(aggregate_type)
        ):
            try:
                return from_data(
                    aggregate_type,
                    {
                        **snapshot.state,
                        "aggregate_id": aggregate_id,
                        "version": snapshot.version,
                        "uncommitted_events": [],
                    },
                )
            except EventDecodingError as error:
                _logger.warning(
                    "Ignoring undecodable snapshot of %s %r: %s",
                    aggregate_type.__name__,
                    aggregate_id,
                    error,
                )
        else:
            _logger.info(
                "Ignoring snapshot of %s %r taken by %s (schema %s)",
                aggregate_type.__name__,
                aggregate_id,
                snapshot.aggregate_type,
                snapshot.schema_version,
            )
    return aggregate_type(aggregate_id=aggregate_id)


def _state_fields(aggregate_type: type[AggregateRoot]) -> frozenset[str]:
    """The fields a snapshot of `aggregate_type` must hold, no more and no fewer."""
    return frozenset(f.name for f in dataclasses.fields(aggregate_type)) - _BASE_FIELDS


def _replayed[A: AggregateRoot](aggregate: A, events: list[Event]) -> A:
    if not events and aggregate.version == 0:
        raise AggregateNotFoundError(type(aggregate).__name__, aggregate.aggregate_id)
    aggregate._replay_events(events)
    return aggregate


def _call(store: Any, method: str, *args: Any) -> Any:
    """`store.<method>_async(*args)` or `store.<method>(*args)`, whichever it has; else None."""
    function = getattr(store, f"{method}_async", None) or getattr(store, method, None)
    return None if function is None else function(*args)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


__all__ = ["AggregateRepository", "take_snapshot"]
