"""The library reports through the hooks: buses, stores, repository, projections, sagas.

With nobody listening the classes hold their plain methods (no check on the hot path); with
a provider or a callback installed they hold instrumented twins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrix.core.common.exceptions import AggregateNotFoundError, HandlerError
from orchestrix.core.common.instrumentation import (
    Call,
    instrumented,
    instrumented_broker_bus,
    is_observed,
    message_attributes,
    probe,
    projection_batch,
    record_projection_lag,
    saga_execution,
    saga_step,
)
from orchestrix.core.common.metrics import MetricsProvider, MetricValue
from orchestrix.core.common.observability import ObservabilityHooks
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.execution.saga import InMemorySagaStateStore, Saga, SagaStep
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.sqlite.async_store import SQLiteAsyncEventStore
from test.components.orchestrix.core.common.recorders import (
    RecordingMetrics,
    RecordingTracing,
    observing,
)


@dataclass(frozen=True, kw_only=True)
class OpenTab(Command, type_name="test_instrumentation.OpenTab"):
    tab: str


@dataclass(frozen=True, kw_only=True)
class TabOpened(Event, type_name="test_instrumentation.TabOpened"):
    tab: str


@instrumented_broker_bus
class Handover:
    """A bus that hands messages on (to a broker), sending each through `_send`."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def publish(self, message: Message, *, max_retries: int | None = None) -> None:
        await self._send(message, "outbox")

    async def _send(self, message: Message, destination: str) -> None:
        self.sent.append(message)


def _begin_send(bus: Handover, message: Message, destination: str) -> Call:
    return Call("handover.send", {"destination": destination, **message_attributes(message)})


instrumented(_send=probe(_begin_send, lambda call, result, error: call.finish(error)))(Handover)


@dataclass
class Tab(AggregateRoot):
    open: bool = False

    def _when_tab_opened(self, event: TabOpened) -> None:
        self.open = True


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def tracing() -> RecordingTracing:
    return RecordingTracing()


@pytest.fixture
def hooks(metrics: RecordingMetrics, tracing: RecordingTracing) -> ObservabilityHooks:
    with observing(ObservabilityHooks(metrics, tracing)) as installed:
        yield installed


def test_without_listeners_the_classes_hold_their_plain_methods() -> None:
    assert not is_observed()
    for method in (
        InMemoryMessageBus.publish,
        InMemoryAsyncMessageBus.publish,
        Handover.publish,
        Handover._send,
        InMemoryEventStore.save,
        InMemoryEventStore.load,
        AggregateRepository.load,
    ):
        assert not hasattr(method, "__wrapped__"), method


def test_installing_a_provider_swaps_the_twins_in_and_restoring_swaps_them_out() -> None:
    plain = InMemoryMessageBus.publish
    with observing(ObservabilityHooks(RecordingMetrics())):
        assert is_observed()
        assert InMemoryMessageBus.publish.__wrapped__ is plain  # type: ignore[attr-defined]
        assert InMemoryAsyncEventStore.save_snapshot is InMemoryAsyncEventStore.save_snapshot_async
    assert InMemoryMessageBus.publish is plain


def test_a_callback_alone_switches_the_instrumentation_on() -> None:
    stored: list[tuple[str, int]] = []
    hooks = ObservabilityHooks()
    with observing(hooks):
        assert not is_observed()
        hooks.on_event_stored(lambda aggregate_id, version: stored.append((aggregate_id, version)))
        assert is_observed()
        InMemoryEventStore().save("tab-1", [TabOpened(tab="1"), TabOpened(tab="1")], 0)
    assert stored == [("tab-1", 1), ("tab-1", 2)]


def test_a_bus_delivers_from_its_table_unobserved_and_from_observed_routes_observed() -> None:
    bus = InMemoryMessageBus()
    assert bus._delivery is bus._handlers
    with observing(ObservabilityHooks(RecordingMetrics())):
        assert bus._delivery is not bus._handlers
    assert bus._delivery is bus._handlers


def test_a_command_flow_reports_spans_and_metrics_by_type(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    bus, store = InMemoryMessageBus(), InMemoryEventStore()

    def open_tab(command: OpenTab) -> None:
        event = TabOpened.caused_by(command, tab=command.tab)
        store.save(command.tab, [event], expected_version=0)
        bus.publish(event)

    bus.subscribe(OpenTab, open_tab)
    bus.subscribe(TabOpened, lambda event: None)
    command = OpenTab(tab="t-1", actor_id="waiter-7")
    bus.publish(command)

    assert tracing.operations() == [
        "event_store.save",
        "event.handle",
        "event.publish",
        "command.handle",
        "command.dispatch",
    ]
    handle = tracing.ended[3]
    assert handle.attributes == {
        "command.type": "test_instrumentation.OpenTab",
        "command.id": command.id,
        "orchestrix.actor_id": "waiter-7",
        "orchestrix.handler": "test_a_command_flow_reports_spans_and_metrics_by_type.<locals>."
        "open_tab",
    }
    published = tracing.ended[2].attributes
    assert published["orchestrix.correlation_id"] == command.id
    assert published["orchestrix.causation_id"] == command.id
    assert metrics.named("orchestrix.commands.handled") == [
        (
            "counter",
            ("orchestrix.commands.handled", 1.0),
            {"labels": {"command_type": "test_instrumentation.OpenTab", "status": "success"}},
        )
    ]
    assert metrics.named("orchestrix.events.stored") == [
        (
            "counter",
            ("orchestrix.events.stored", 1.0),
            {"labels": {"event_type": "test_instrumentation.TabOpened"}},
        )
    ]
    ((_, (_, seconds, unit), keywords),) = metrics.named("orchestrix.commands.latency")
    assert seconds > 0 and unit == "seconds"
    assert keywords == {"labels": {"command_type": "test_instrumentation.OpenTab"}}
    for _, _, keywords in metrics.calls:
        assert "t-1" not in (keywords["labels"] or {}).values()


async def test_a_broker_bus_counts_events_where_published_and_leaves_commands_to_consumers(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    bus = Handover()
    command, event = OpenTab(tab="t-1"), TabOpened(tab="t-1")
    await bus.publish(command)
    await bus.publish(event, max_retries=2)
    assert bus.sent == [command, event]
    assert tracing.operations() == [
        "handover.send",
        "command.dispatch",
        "handover.send",
        "event.publish",
    ]
    assert tracing.ended[2].attributes == {
        "destination": "outbox",
        "event.type": "test_instrumentation.TabOpened",
        "event.id": event.id,
    }
    assert metrics.named("orchestrix.commands.handled") == []
    assert metrics.named("orchestrix.events.published") == [
        (
            "counter",
            ("orchestrix.events.published", 1.0),
            {"labels": {"event_type": "test_instrumentation.TabOpened", "status": "success"}},
        )
    ]


def test_a_failing_handler_fails_as_before_and_is_reported(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    bus = InMemoryMessageBus()

    def refuse(command: OpenTab) -> None:
        raise PermissionError("tab limit")

    bus.subscribe(OpenTab, refuse)
    with pytest.raises(HandlerError) as raised:
        bus.publish(OpenTab(tab="t"))

    assert str(raised.value) == "Handler 'refuse' failed for message type 'OpenTab': tab limit"
    handle, dispatch = tracing.ended
    assert (handle.status, handle.attributes["error.type"]) == ("error", "PermissionError")
    assert (dispatch.status, dispatch.attributes["error.type"]) == ("error", "HandlerError")
    assert metrics.named("orchestrix.commands.handled")[0][2]["labels"]["status"] == "error"


def test_buses_built_before_observability_wrap_their_handlers_once_it_is_on(
    metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    bus = InMemoryMessageBus()
    bus.subscribe(TabOpened, lambda event: None)
    bus.publish(TabOpened(tab="before"))  # resolves and caches the plain handler

    with observing(ObservabilityHooks(metrics, tracing)):
        bus.publish(TabOpened(tab="during"))
    bus.publish(TabOpened(tab="after"))

    assert tracing.operations() == ["event.handle", "event.publish"]


async def test_the_async_bus_opens_one_handle_span_per_concurrent_handler(
    hooks: ObservabilityHooks, tracing: RecordingTracing
) -> None:
    bus = InMemoryAsyncMessageBus()
    handled: list[str] = []

    async def slow(event: TabOpened) -> None:
        await asyncio.sleep(0)
        handled.append("slow")

    def plain(event: TabOpened) -> None:
        handled.append("plain")

    bus.subscribe(TabOpened, slow)
    bus.subscribe(TabOpened, plain)
    await bus.publish(TabOpened(tab="t"))

    assert sorted(handled) == ["plain", "slow"]
    assert sorted(tracing.operations()) == ["event.handle", "event.handle", "event.publish"]
    assert tracing.operations()[-1] == "event.publish"


async def test_a_store_that_delegates_to_another_reports_one_operation(
    hooks: ObservabilityHooks, tracing: RecordingTracing, tmp_path: Path
) -> None:
    memory = InMemoryAsyncEventStore()
    await memory.save("tab", [TabOpened(tab="t")], expected_version=0)
    async with SQLiteAsyncEventStore(tmp_path / "events.db") as sqlite:
        await sqlite.save("tab", [TabOpened(tab="t")], expected_version=0)
        assert len(await sqlite.load("tab")) == 1

    assert tracing.operations() == ["event_store.save", "event_store.save", "event_store.load"]
    assert [span.attributes["event_store.type"] for span in tracing.ended] == [
        "InMemoryAsyncEventStore",
        "SQLiteAsyncEventStore",
        "SQLiteAsyncEventStore",
    ]
    assert tracing.ended[2].attributes["event_store.events"] == 1


def test_the_repository_reports_loads_snapshots_and_errors_by_aggregate_type(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    repository = AggregateRepository[Tab](InMemoryEventStore(), snapshot_every=1)
    tab = Tab(aggregate_id="tab-9")
    tab._apply_event(TabOpened(tab="9"))
    repository.save(tab)
    repository.load(Tab, "tab-9")
    with pytest.raises(AggregateNotFoundError):
        repository.load(Tab, "missing")

    assert tracing.operations()[:3] == [
        "event_store.save",
        "event_store.save_snapshot",
        "repository.save",
    ]
    assert tracing.operations()[3:6] == [
        "event_store.load_snapshot",
        "event_store.load",
        "repository.load",
    ]
    assert metrics.named("orchestrix.aggregates.loaded")[0][2] == {
        "labels": {"aggregate_type": "Tab"}
    }
    assert metrics.named("orchestrix.snapshots.saved")[0][2] == {
        "labels": {"aggregate_type": "Tab"}
    }
    assert metrics.named("orchestrix.snapshots.loaded")[0][2] == {
        "labels": {"aggregate_type": "Tab"}
    }
    assert metrics.named("orchestrix.aggregate.errors")[0][2] == {
        "labels": {"aggregate_type": "Tab", "error_type": "AggregateNotFoundError"}
    }


class BrokenMetrics(MetricsProvider):
    def record_metric(self, metric: MetricValue) -> None:
        raise ConnectionError("metrics backend down")

    def counter(self, name: str, value: float = 1.0, labels: dict[str, str] | None = None) -> None:
        raise ConnectionError("metrics backend down")

    def gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        raise ConnectionError("metrics backend down")

    def histogram(
        self, name: str, value: float, unit: str = "", labels: dict[str, str] | None = None
    ) -> None:
        raise ConnectionError("metrics backend down")


def test_a_failing_backend_is_logged_and_never_fails_the_operation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = InMemoryEventStore()
    with observing(ObservabilityHooks(BrokenMetrics())), caplog.at_level(logging.ERROR):
        store.save("tab", [TabOpened(tab="t")], expected_version=0)

    assert len(store.load("tab")) == 1
    assert "Reporting to the observability hooks failed" in caplog.text


BAD_CALLS = {
    "negative from_version": lambda store: store.load("tab", from_version=-1),
    "missing events": lambda store: store.save("tab"),
    "not a snapshot": lambda store: store.save_snapshot("not a snapshot"),
    "stream id of the wrong type": lambda store: store.save(7, [TabOpened(tab="t")]),
}


def failure(call: Callable[[InMemoryEventStore], object]) -> tuple[type[BaseException], str]:
    with pytest.raises(Exception) as raised:
        call(InMemoryEventStore())
    return type(raised.value), str(raised.value)


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_raises_the_same_error_observed_or_not(
    call: Callable[[InMemoryEventStore], object],
) -> None:
    unobserved = failure(call)
    with observing(ObservabilityHooks(RecordingMetrics(), RecordingTracing())):
        assert failure(call) == unobserved


def test_projection_and_saga_helpers_do_nothing_while_nobody_listens() -> None:
    assert projection_batch("p", 10) is saga_execution("s", "1") is saga_step("s", "1", "a")
    record_projection_lag("p", 5)  # nothing to report to, nothing raised


def test_projection_helpers_report_batches_and_lag(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    with projection_batch("balances", 250):
        pass
    record_projection_lag("balances", 42)

    (span,) = tracing.ended
    assert (span.operation, span.attributes) == (
        "projection.batch",
        {"projection.name": "balances", "projection.events": 250},
    )
    ((method, (name, _, unit), keywords), lag) = metrics.calls
    assert (method, name, unit) == ("histogram", "orchestrix.projection.update", "seconds")
    assert keywords == {"labels": {"projection_name": "balances"}}
    assert lag == (
        "gauge",
        ("orchestrix.projection.lag", 42),
        {"labels": {"projection_name": "balances"}},
    )


def test_saga_helpers_report_steps_compensations_and_the_outcome(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    with pytest.raises(RuntimeError), saga_execution("Transfer", "saga-1"):
        with saga_step("Transfer", "saga-1", "debit"):
            pass
        with saga_step("Transfer", "saga-1", "debit", compensation=True):
            pass
        raise RuntimeError("credit failed")

    assert tracing.operations() == ["saga.action", "saga.compensation", "saga.execute"]
    assert tracing.ended[0].attributes == {
        "saga.type": "Transfer",
        "saga.id": "saga-1",
        "saga.step": "debit",
    }
    assert tracing.ended[2].status == "error"
    assert metrics.named("orchestrix.saga.executions") == [
        (
            "counter",
            ("orchestrix.saga.executions", 1.0),
            {"labels": {"saga_type": "Transfer", "status": "error"}},
        )
    ]


def saga_executions(metrics: RecordingMetrics) -> list[object]:
    return [call[2]["labels"] for call in metrics.named("orchestrix.saga.executions")]


async def test_a_saga_reports_its_run_and_steps_through_the_hooks(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    def refuse() -> None:
        raise RuntimeError("no credit")

    steps = [SagaStep("debit", lambda: 1, lambda: None), SagaStep("credit", refuse)]
    saga = Saga("Transfer", steps, InMemorySagaStateStore())
    with pytest.raises(RuntimeError):
        await saga.execute()
    await Saga("Transfer", steps[:1], InMemorySagaStateStore()).execute()

    assert tracing.operations() == [
        "saga.action",
        "saga.action",
        "saga.compensation",
        "saga.execute",
        "saga.action",
        "saga.execute",
    ]
    assert tracing.ended[3].attributes == {
        "saga.type": "Transfer",
        "saga.id": saga.saga_id,
        "error.type": "RuntimeError",
        "error.message": "no credit",
    }
    assert saga_executions(metrics) == [
        {"saga_type": "Transfer", "status": "error"},
        {"saga_type": "Transfer", "status": "success"},
    ]


async def test_a_saga_with_a_tracer_of_its_own_traces_there_and_counts_in_the_hooks(
    hooks: ObservabilityHooks, metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    own = RecordingTracing()
    await Saga("Transfer", [SagaStep("debit", lambda: 1)], InMemorySagaStateStore(), own).execute()

    assert own.operations() == ["saga.action", "saga.execute"]
    assert tracing.ended == []
    assert saga_executions(metrics) == [{"saga_type": "Transfer", "status": "success"}]


async def test_an_unobserved_saga_opens_no_span(tracing: RecordingTracing) -> None:
    assert not is_observed()
    await Saga("Transfer", [SagaStep("debit", lambda: 1)], InMemorySagaStateStore()).execute()
    assert tracing.started == []
