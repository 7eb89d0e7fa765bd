"""The observability hooks keep the first release's API, with labels by type (defect #6)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from enum import Enum

import pytest

from orchestrix.core.common import observability
from orchestrix.core.common.observability import (
    MetricsProvider,
    MetricType,
    MetricValue,
    NoOpMetricsProvider,
    NoOpTracingProvider,
    ObservabilityHooks,
    TraceSpan,
    TracingProvider,
    get_observability,
    init_observability,
    set_observability,
)
from test.components.orchestrix.core.common.recorders import (
    RecordingMetrics,
    RecordingTracing,
    StartEndTracer,
    observing,
)

AGGREGATE_ID = "ACC-42"


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def hooks(metrics: RecordingMetrics) -> ObservabilityHooks:
    return ObservabilityHooks(metrics, RecordingTracing(), logging.getLogger("test.hooks"))


def test_metric_type_is_a_class_of_string_constants() -> None:
    assert not issubclass(MetricType, Enum)
    assert (MetricType.COUNTER, MetricType.GAUGE, MetricType.HISTOGRAM, MetricType.DURATION) == (
        "counter",
        "gauge",
        "histogram",
        "duration",
    )


def test_metric_value_fields_and_defaults() -> None:
    before = datetime.now(UTC)
    first, second = MetricValue("requests", 2.5), MetricValue("requests", 1.0)

    assert [field.name for field in dataclasses.fields(MetricValue)] == [
        "name",
        "value",
        "unit",
        "timestamp",
        "labels",
        "metric_type",
    ]
    assert (first.unit, first.labels, first.metric_type) == ("", {}, "counter")
    assert before <= first.timestamp <= datetime.now(UTC)
    first.labels["kind"] = "x"
    first.value = 3.0  # mutable, as in the first release
    assert second.labels == {}


def test_trace_span_defaults() -> None:
    span = TraceSpan(operation="event_store.load")

    assert (span.end_time, span.duration_ms, span.status, span.attributes, span.error) == (
        None,
        0.0,
        "pending",
        {},
        None,
    )
    assert span.start_time.tzinfo is UTC
    assert [field.name for field in dataclasses.fields(TraceSpan)][:7] == [
        "operation",
        "start_time",
        "end_time",
        "duration_ms",
        "status",
        "attributes",
        "error",
    ]


def test_ending_a_span_sets_a_positive_duration_and_ok() -> None:
    span = TraceSpan(operation="op")
    span.end()

    assert span.status == "ok"
    assert span.end_time is not None and span.end_time >= span.start_time
    assert span.duration_ms > 0


def test_a_failed_span_keeps_its_error_status_when_ended() -> None:
    span = TraceSpan(operation="op")
    span.set_error("disk full")

    assert (span.status, span.error) == ("error", "disk full")
    assert span.end_time is not None and span.duration_ms > 0
    span.end()
    assert span.status == "error"


def test_the_provider_ports_declare_the_first_releases_abstract_methods() -> None:
    assert MetricsProvider.__abstractmethods__ == {
        "record_metric",
        "counter",
        "gauge",
        "histogram",
    }
    assert TracingProvider.__abstractmethods__ == {"start_span", "end_span"}

    class OnlyRecord(MetricsProvider):
        def record_metric(self, metric: MetricValue) -> None:
            pass

    with pytest.raises(TypeError):
        OnlyRecord()  # type: ignore[abstract]


def test_no_op_providers_accept_everything_and_end_spans() -> None:
    metrics = NoOpMetricsProvider()
    metrics.record_metric(MetricValue("m", 1))
    metrics.counter("m")
    metrics.gauge("m", 1, labels={"a": "b"})
    metrics.histogram("m", 1, "seconds")

    tracing = NoOpTracingProvider()
    span = tracing.start_span("work")
    assert (span.operation, span.status) == ("work", "pending")
    tracing.end_span(span)
    assert span.status == "ok"


def test_hooks_default_to_no_op_providers_and_the_observability_logger() -> None:
    hooks = ObservabilityHooks()

    assert isinstance(hooks.metrics, NoOpMetricsProvider)
    assert isinstance(hooks.tracing, NoOpTracingProvider)
    assert hooks.logger.name == "orchestrix.observability"


# (hook, its argument, metric method, metric name, value, labels): the release's names, but
# labelled by type where it labelled by aggregate id.
RECORDS: list[tuple[str, object, str, str, float, dict[str, str]]] = [
    ("event_stored", 7, "counter", "orchestrix.events.stored", 1.0, {"event_type": "unknown"}),
    ("event_loaded", 12, "histogram", "orchestrix.events.loaded.count", 12, {}),
    (
        "event_replayed",
        "AccountOpened",
        "counter",
        "orchestrix.events.replayed",
        1.0,
        {"event_type": "AccountOpened"},
    ),
    (
        "snapshot_saved",
        50,
        "counter",
        "orchestrix.snapshots.saved",
        1.0,
        {"aggregate_type": "unknown"},
    ),
    (
        "snapshot_loaded",
        50,
        "counter",
        "orchestrix.snapshots.loaded",
        1.0,
        {"aggregate_type": "unknown"},
    ),
    (
        "aggregate_error",
        "boom",
        "counter",
        "orchestrix.aggregate.errors",
        1.0,
        {"aggregate_type": "unknown", "error_type": "unknown"},
    ),
]


@pytest.mark.parametrize("case", RECORDS, ids=[case[0] for case in RECORDS])
def test_record_emits_its_metric_labelled_by_type_never_by_aggregate_id(
    hooks: ObservabilityHooks,
    metrics: RecordingMetrics,
    case: tuple[str, object, str, str, float, dict[str, str]],
) -> None:
    hook, detail, method, name, value, labels = case

    getattr(hooks, f"record_{hook}")(AGGREGATE_ID, detail)

    ((called, arguments, keywords),) = metrics.calls
    assert called == method
    if method == "counter":  # name positional, value left to its default, labels by keyword
        assert arguments[0] == name and keywords == {"labels": labels}
    else:
        assert arguments[:2] == (name, value) and keywords == {"labels": labels}
    assert AGGREGATE_ID not in labels.values()


def test_records_take_the_type_labels_by_keyword(
    hooks: ObservabilityHooks, metrics: RecordingMetrics
) -> None:
    hooks.record_event_stored(AGGREGATE_ID, 1, event_type="AccountOpened")
    hooks.record_snapshot_saved(AGGREGATE_ID, 9, aggregate_type="Account")
    hooks.record_snapshot_loaded(AGGREGATE_ID, 9, aggregate_type="Account")
    hooks.record_aggregate_error(AGGREGATE_ID, ValueError("bad"), aggregate_type="Account")

    assert [call[2]["labels"] for call in metrics.calls] == [
        {"event_type": "AccountOpened"},
        {"aggregate_type": "Account"},
        {"aggregate_type": "Account"},
        {"aggregate_type": "Account", "error_type": "ValueError"},
    ]


@pytest.mark.parametrize("case", RECORDS, ids=[case[0] for case in RECORDS])
def test_record_calls_its_callbacks_in_registration_order_after_the_metric(
    hooks: ObservabilityHooks,
    metrics: RecordingMetrics,
    case: tuple[str, object, str, str, float, dict[str, str]],
) -> None:
    hook, detail = case[0], case[1]
    calls: list[tuple[str, object, object, int]] = []
    register = getattr(hooks, f"on_{hook}")
    register(
        lambda aggregate_id, value: calls.append(("1", aggregate_id, value, len(metrics.calls)))
    )
    register(
        lambda aggregate_id, value: calls.append(("2", aggregate_id, value, len(metrics.calls)))
    )

    getattr(hooks, f"record_{hook}")(AGGREGATE_ID, detail)

    assert calls == [("1", AGGREGATE_ID, detail, 1), ("2", AGGREGATE_ID, detail, 1)]


def test_a_callbacks_exception_propagates_to_the_caller(hooks: ObservabilityHooks) -> None:
    def broken(aggregate_id: str, version: int) -> None:
        raise RuntimeError("callback failed")

    hooks.on_event_stored(broken)

    with pytest.raises(RuntimeError, match="callback failed"):
        hooks.record_event_stored(AGGREGATE_ID, 1)


def test_callbacks_only_hear_their_own_hook(hooks: ObservabilityHooks) -> None:
    stored: list[int] = []
    hooks.on_event_stored(lambda _id, version: stored.append(version))

    hooks.record_snapshot_saved(AGGREGATE_ID, 3)
    hooks.record_event_loaded(AGGREGATE_ID, 4)

    assert stored == []


def test_an_aggregate_error_is_logged_as_a_warning_with_the_aggregate_id(
    hooks: ObservabilityHooks, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="test.hooks"):
        hooks.record_aggregate_error(AGGREGATE_ID, "balance went negative")

    (record,) = caplog.records
    assert (record.levelno, record.getMessage()) == (
        logging.WARNING,
        "Aggregate error: balance went negative",
    )
    assert record.aggregate_id == AGGREGATE_ID  # type: ignore[attr-defined]


def test_event_store_operations_are_spans_named_after_the_operation() -> None:
    tracing = RecordingTracing()
    hooks = ObservabilityHooks(tracing_provider=tracing)

    span = hooks.start_event_store_operation("load")
    assert (span.operation, span.status, tracing.ended) == ("event_store.load", "pending", [])
    hooks.end_event_store_operation(span)

    assert tracing.ended == [span] and span.status == "ok"


@pytest.mark.parametrize("tracer_class", [RecordingTracing, StartEndTracer])
def test_the_span_helper_records_an_escaping_error(tracer_class: type[StartEndTracer]) -> None:
    tracing = tracer_class()
    hooks = ObservabilityHooks(tracing_provider=tracing)  # type: ignore[arg-type]

    with pytest.raises(KeyError), hooks.span("projection.batch", {"projection.name": "p"}):
        raise KeyError("missing")

    (span,) = tracing.ended
    assert (span.operation, span.status, span.error) == ("projection.batch", "error", "'missing'")
    assert span.attributes == {
        "projection.name": "p",
        "error.type": "KeyError",
        "error.message": "'missing'",
    }


def test_the_global_hooks_are_created_lazily_and_cached() -> None:
    previous = get_observability()
    try:
        observability._hooks = None
        first = get_observability()
        assert isinstance(first, ObservabilityHooks) and get_observability() is first
    finally:
        set_observability(previous)


def test_set_and_init_replace_the_global_hooks() -> None:
    metrics = RecordingMetrics()
    with observing(ObservabilityHooks()) as replaced:
        assert get_observability() is replaced
        initialised = init_observability(metrics_provider=metrics)
        assert get_observability() is initialised and initialised.metrics is metrics
        assert isinstance(initialised.tracing, NoOpTracingProvider)
