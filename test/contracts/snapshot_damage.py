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
from dataclasses import dataclass, field
from decimal import Decimal
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


@dataclass
class DamageNotebook(DamageCounter):
    """A counter whose untyped notes may hold what no snapshot can store."""

    notes: dict[str, Any] = field(default_factory=dict)


class SnapshotDamageContract:
    """Subclasses provide the `damage` fixture (see the module docstring)."""

    unusable_states: tuple[str, ...] = ("[1, 2]", "null", '"text"', "{not json", '{"total": "x"}')

    async def test_a_failed_snapshot_write_is_counted_not_raised(
        self, damage: Damage, caplog: pytest.LogCaptureFixture
    ) -> None:
        store, break_snapshots, _ = damage
        repository = AggregateRepository[DamageCounter](store, snapshot_every=1)
        counter = await _saved_then_changed(repository, DamageCounter(aggregate_id="c"))
        await break_snapshots()
        with caplog.at_level(logging.WARNING):
            await repository.save_async(counter)  # committed: must not raise
        assert repository.snapshot_failures == 1
        assert "snapshot failed" in caplog.text
        await _assert_committed(store, counter)

    @pytest.mark.parametrize(
        "note", [Decimal("1.5"), "nul \x00 inside"], ids=["decimal-in-any", "nul-in-text"]
    )
    async def test_state_a_snapshot_cannot_hold_never_fails_the_save(
        self, damage: Damage, note: object
    ) -> None:
        store, _, _ = damage
        repository = AggregateRepository[DamageNotebook](store, snapshot_every=1)
        notebook = await _saved_then_changed(repository, DamageNotebook(aggregate_id="n"))
        notebook.notes["note"] = note
        await repository.save_async(notebook)  # committed: must not raise
        await _assert_committed(store, notebook)
        loaded = await repository.load_async(DamageNotebook, "n")
        assert (loaded.total, loaded.version) == (150, 2)

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


async def _saved_then_changed[C: DamageCounter](
    repository: AggregateRepository[C], counter: C
) -> C:
    """`counter` with 100 added and saved, then 50 added and not saved yet."""
    counter.add(100)
    await repository.save_async(counter)
    counter.add(50)
    return counter


async def _assert_committed(store: Any, counter: DamageCounter) -> None:
    assert counter.uncommitted_events == []
    assert [e.by for e in await _events(store, counter.aggregate_id)] == [100, 50]  # type: ignore[attr-defined]


async def _events(store: Any, aggregate_id: str) -> list[Event]:
    loaded = store.load(aggregate_id)
    return list(await loaded if isinstance(loaded, Awaitable) else loaded)
