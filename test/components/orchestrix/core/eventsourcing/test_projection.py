"""The projection engine: the first release's API with SPEC §4's fixes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from orchestrix.core.common.observability import ObservabilityHooks
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.projection import (
    InMemoryProjectionStateStore,
    ProjectionContext,
    ProjectionEngine,
    ProjectionState,
)
from orchestrix.core.messaging.message import Event
from test.components.orchestrix.core.common.recorders import (
    RecordingMetrics,
    RecordingTracing,
    StartEndTracer,
    observing,
)


@dataclass(frozen=True, kw_only=True)
class ItemAdded(Event, type_name="projection_tests.ItemAdded"):
    sku: str
    quantity: int = 1


@dataclass(frozen=True, kw_only=True)
class GiftAdded(ItemAdded, type_name="projection_tests.GiftAdded"):
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Ignored(Event, type_name="projection_tests.Ignored"):
    pass


def recorded(event: Event, position: int, tx_id: int = 0) -> RecordedEvent:
    return RecordedEvent(event, "cart-1", position, position, tx_id)


def sku_engine(store: InMemoryProjectionStateStore) -> tuple[ProjectionEngine, list[str]]:
    """An engine whose one handler records the sku of each ItemAdded it receives."""
    engine, seen = ProjectionEngine("p", store), []
    engine.on(ItemAdded)(lambda event: seen.append(event.sku))
    return engine, seen


@pytest.fixture
def store() -> InMemoryProjectionStateStore:
    return InMemoryProjectionStateStore()


async def test_seed_example_builds_a_read_model(store: InMemoryProjectionStateStore) -> None:
    engine = ProjectionEngine("cart-items", store)
    totals: dict[str, int] = {}

    @engine.on(ItemAdded)
    async def on_added(event: ItemAdded) -> None:
        totals[event.sku] = totals.get(event.sku, 0) + event.quantity

    await engine.initialize()
    await engine.process_events([ItemAdded(sku="a", quantity=2), ItemAdded(sku="b")])
    assert totals == {"a": 2, "b": 1}
    assert engine.is_healthy()


async def test_state_is_replaced_never_mutated(store: InMemoryProjectionStateStore) -> None:
    engine = ProjectionEngine("p", store)
    engine.on(ItemAdded)(lambda event: None)
    await engine.initialize()
    first = engine.get_state()
    await engine.handle_event(recorded(ItemAdded(sku="a"), 1))
    second = engine.get_state()
    assert first is not second
    assert first is not None and first.last_processed_position == 0
    assert second is not None and second.last_processed_position == 1
    assert await store.load_state("p") == second


async def test_events_at_or_before_the_checkpoint_are_skipped(
    store: InMemoryProjectionStateStore,
) -> None:
    engine, seen = sku_engine(store)
    await engine.initialize()
    log = [recorded(ItemAdded(sku=str(n)), n) for n in range(1, 6)]
    await engine.process_events(log[:3])
    await engine.process_events(log)  # a redelivery of all five: only 4 and 5 are new
    assert seen == ["1", "2", "3", "4", "5"]
    assert engine.get_state() is not None
    assert engine.get_state().checkpoint == Checkpoint(0, 5)  # type: ignore[union-attr]


async def test_the_transaction_id_orders_checkpoints_first(
    store: InMemoryProjectionStateStore,
) -> None:
    engine = ProjectionEngine("p", store)
    seen: list[int] = []
    engine.on(ItemAdded)(lambda event: seen.append(event.quantity))
    await engine.initialize()
    # PostgreSQL: a later transaction may hold a lower position; it still comes after.
    await engine.process_events([recorded(ItemAdded(sku="x", quantity=1), 7, tx_id=10)])
    await engine.process_events([recorded(ItemAdded(sku="x", quantity=2), 5, tx_id=11)])
    await engine.process_events([recorded(ItemAdded(sku="x", quantity=3), 6, tx_id=10)])
    assert seen == [1, 2]


async def test_plain_events_are_deduplicated_by_their_id(
    store: InMemoryProjectionStateStore,
) -> None:
    engine, seen = sku_engine(store)
    await engine.initialize()
    event = ItemAdded(sku="a")
    await engine.handle_event(event)
    await engine.handle_event(event)
    assert seen == ["a"]
    assert engine.get_state().last_processed_event_id == event.id  # type: ignore[union-attr]


async def test_unhandled_events_still_advance_the_checkpoint(
    store: InMemoryProjectionStateStore,
) -> None:
    engine = ProjectionEngine("p", store)
    engine.on(ItemAdded)(lambda event: None)
    await engine.initialize()
    ignored = Ignored()
    await engine.process_events([recorded(ItemAdded(sku="a"), 1), recorded(ignored, 2)])
    state = await store.load_state("p")
    assert state is not None
    assert (state.last_processed_event_id, state.checkpoint) == (ignored.id, Checkpoint(0, 2))


async def test_handlers_receive_subclasses_in_registration_order(
    store: InMemoryProjectionStateStore,
) -> None:
    engine = ProjectionEngine("p", store)
    calls: list[str] = []
    engine.on(GiftAdded)(lambda event: calls.append("gift"))
    engine.on(ItemAdded)(lambda event: calls.append("item"))
    await engine.handle_event(GiftAdded(sku="a"))
    await engine.handle_event(ItemAdded(sku="b"))
    assert calls == ["gift", "item", "item"]


async def test_a_handler_taking_two_arguments_gets_the_context(
    store: InMemoryProjectionStateStore,
) -> None:
    engine = ProjectionEngine("p", store)
    contexts: list[ProjectionContext[Any]] = []

    @engine.on(ItemAdded)
    def on_added(event: ItemAdded, context: ProjectionContext[Any]) -> None:
        contexts.append(context)

    await engine.process_events([recorded(ItemAdded(sku="a"), 3, tx_id=9), ItemAdded(sku="b")])
    with_place, without = contexts
    assert (with_place.projection_id, with_place.checkpoint) == ("p", Checkpoint(9, 3))
    assert (with_place.position, with_place.aggregate_id, with_place.version) == (3, "cart-1", 3)
    assert with_place.connection is None
    assert (without.checkpoint, without.position, without.aggregate_id) == (None, None, None)


async def test_a_sync_handler_returning_a_coroutine_is_awaited(
    store: InMemoryProjectionStateStore,
) -> None:
    engine = ProjectionEngine("p", store)
    seen: list[str] = []

    async def later(event: ItemAdded) -> None:
        seen.append(event.sku)

    @engine.on(ItemAdded)
    def returns_a_coroutine(event: ItemAdded) -> Any:
        return later(event)

    await engine.handle_event(ItemAdded(sku="a"))
    assert seen == ["a"]


async def test_a_failing_handler_counts_marks_unhealthy_and_reraises(
    store: InMemoryProjectionStateStore,
) -> None:
    engine = ProjectionEngine("p", store)
    later: list[str] = []

    @engine.on(ItemAdded)
    def explode(event: ItemAdded) -> None:
        if event.sku == "bad":
            raise KeyError(event.sku)

    engine.on(ItemAdded)(lambda event: later.append(event.sku))
    await engine.initialize()
    good = recorded(ItemAdded(sku="good"), 1)
    with pytest.raises(KeyError):
        await engine.process_events([good, recorded(ItemAdded(sku="bad"), 2)])
    assert later == ["good"]  # the second handler did not run for the bad event
    state = await store.load_state("p")
    assert state is not None
    assert (state.error_count, state.is_healthy, state.checkpoint) == (1, False, Checkpoint(0, 1))
    assert not engine.is_healthy()
    await engine.handle_event(recorded(ItemAdded(sku="next"), 3))
    assert engine.is_healthy()
    assert engine.get_state().error_count == 1  # type: ignore[union-attr]


async def test_replay_persists_its_reset_and_clears_the_read_model(
    store: InMemoryProjectionStateStore,
) -> None:
    engine = ProjectionEngine("p", store)
    model: dict[str, int] = {}
    engine.on(ItemAdded)(lambda event: model.__setitem__(event.sku, event.quantity))
    engine.on_reset(model.clear)
    await engine.initialize()
    log = [recorded(ItemAdded(sku=str(n)), n) for n in range(1, 4)]
    await engine.process_events(log)
    saved: list[ProjectionState] = []
    original_save = store.save_state

    async def spy(state: ProjectionState) -> None:
        saved.append(state)
        await original_save(state)

    store.save_state = spy  # type: ignore[method-assign]
    model["stale"] = 1
    await engine.replay(log[:2])
    assert saved[0].checkpoint == START and saved[0].last_processed_event_id is None
    assert model == {"1": 1, "2": 1}
    assert engine.get_state().checkpoint == Checkpoint(0, 2)  # type: ignore[union-attr]


async def test_a_second_engine_resumes_the_saved_state(
    store: InMemoryProjectionStateStore,
) -> None:
    first = ProjectionEngine("p", store)
    await first.initialize()
    await first.handle_event(recorded(ItemAdded(sku="a"), 4))
    second = ProjectionEngine("p", store)
    await second.initialize()
    assert second.get_state() == first.get_state()


async def test_without_initialize_there_is_no_state(store: InMemoryProjectionStateStore) -> None:
    engine, seen = sku_engine(store)
    event = ItemAdded(sku="a")
    await engine.handle_event(event)
    await engine.handle_event(event)
    assert seen == ["a", "a"]
    assert engine.get_state() is None
    assert not engine.is_healthy()


@pytest.mark.parametrize("tracer_class", [RecordingTracing, StartEndTracer])
async def test_spans_name_the_event_and_record_a_failure(
    store: InMemoryProjectionStateStore, tracer_class: type[StartEndTracer]
) -> None:
    tracer = tracer_class()
    engine = ProjectionEngine("p", store, tracing=tracer)
    engine.on(ItemAdded)(lambda event: None)

    @engine.on(Ignored)
    def fail(event: Ignored) -> None:
        raise ValueError("no")

    ok = ItemAdded(sku="a")
    await engine.handle_event(ok)
    with pytest.raises(ValueError):
        await engine.handle_event(Ignored())
    good, bad = tracer.ended
    assert good.operation == "projection.handle.ItemAdded"
    assert good.attributes == {"projection_id": "p", "event_id": ok.id, "event_type": "ItemAdded"}
    assert (good.status, good.error) == ("ok", None)
    assert (bad.status, bad.error) == ("error", "no")
    assert bad.attributes["error.type"] == "ValueError"


async def test_an_engine_used_on_its_own_reports_its_batches_through_the_hooks(
    store: InMemoryProjectionStateStore,
) -> None:
    engine, seen = sku_engine(store)

    @engine.on(Ignored)
    def fail(event: Ignored) -> None:
        raise ValueError("no")

    await engine.initialize()
    metrics, tracing = RecordingMetrics(), RecordingTracing()
    with observing(ObservabilityHooks(metrics, tracing)):
        await engine.process_events(recorded(ItemAdded(sku=s), n) for n, s in enumerate("ab", 1))
        with pytest.raises(ValueError):
            await engine.handle_event(Ignored())
    await engine.process_events([recorded(ItemAdded(sku="c"), 3)])  # nobody listens now

    assert seen == ["a", "b", "c"]
    good, bad = tracing.ended
    assert (good.operation, good.attributes, good.status) == (
        "projection.batch",
        {"projection.name": "p", "projection.events": 2},
        "ok",
    )
    assert (bad.operation, bad.attributes["projection.events"], bad.status) == (
        "projection.batch",
        1,
        "error",
    )
    updates = metrics.named("orchestrix.projection.update")
    assert [call[2] for call in updates] == [{"labels": {"projection_name": "p"}}] * 2
