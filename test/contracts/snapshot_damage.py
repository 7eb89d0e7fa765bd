"""The snapshot-damage contract of durable stores: snapshots never cause an error.

A snapshot that cannot be written once the events are committed is logged and counted, never
raised (the caller would retry and apply the command twice); a stored snapshot that cannot be
used (damaged text, a state that is not an object) is ignored and the events are replayed.
A store's test module subclasses `SnapshotDamageContract` and provides `damage`: a fixture
returning `(store, break_snapshots, write_state)`, where `break_snapshots()` makes snapshot
writes fail for real and `write_state(aggregate_id, text)` stores a snapshot row of version 1
whose state column holds `text`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.messaging.message import Event

type Damage = tuple[Any, Callable[[], Awaitable[None]], Callable[[str, str], Awaitable[None]]]


@dataclass(frozen=True, kw_only=True)
class DamageCounted(Event):
    by: int


@dataclass
class DamageCounter(AggregateRoot):
    total: int = 0

    def add(self, by: int) -> None:
        self._apply_event(DamageCounted(by=by))

    def _when_damage_counted(self, event: DamageCounted) -> None:
        self.total += event.by


class SnapshotDamageContract:
    """Subclasses provide the `damage` fixture (see the module docstring)."""

    unusable_states: tuple[str, ...] = ("[1, 2]", "null", '"text"', "{not json", '{"total": "x"}')

    async def test_a_failed_snapshot_write_is_counted_not_raised(
        self, damage: Damage, caplog: pytest.LogCaptureFixture
    ) -> None:
        store, break_snapshots, _ = damage
        repository = AggregateRepository[DamageCounter](store, snapshot_every=1)
        counter = DamageCounter(aggregate_id="c")
        counter.add(100)
        await repository.save_async(counter)
        await break_snapshots()
        counter.add(50)
        with caplog.at_level(logging.WARNING):
            await repository.save_async(counter)  # committed: must not raise
        assert repository.snapshot_failures == 1
        assert "snapshot failed" in caplog.text
        assert counter.uncommitted_events == []
        assert [e.by for e in await _events(store, "c")] == [100, 50]  # type: ignore[attr-defined]

    async def test_an_unusable_snapshot_is_ignored(self, damage: Damage) -> None:
        store, _, write_state = damage
        repository = AggregateRepository[DamageCounter](store)
        counter = DamageCounter(aggregate_id="c")
        counter.add(100)
        counter.add(50)
        await repository.save_async(counter)
        for state in self.unusable_states:
            await write_state("c", state)
            loaded = await repository.load_async(DamageCounter, "c")
            assert (loaded.total, loaded.version) == (150, 2), state


async def _events(store: Any, aggregate_id: str) -> list[Event]:
    loaded = store.load(aggregate_id)
    return list(await loaded if isinstance(loaded, Awaitable) else loaded)
