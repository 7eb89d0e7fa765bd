import logging
from collections.abc import Callable, Iterator

import pytest

from orchestrix.core.common.observability import (
    AGGREGATE_ERRORS,
    EVENTS_LOADED,
    EVENTS_REPLAYED,
    EVENTS_STORED,
    SNAPSHOTS_LOADED,
    SNAPSHOTS_SAVED,
    MetricsProvider,
    MetricType,
    MetricValue,
    NoOpMetricsProvider,
    NoOpTracingProvider,
    ObservabilityHooks,
    SpanStatus,
    TraceSpan,
    TracingProvider,
    get_observability,
    init_observability,
    set_observability,
)

AGGREGATE_ID = "ACC-42"
LOGGER_NAME = "orchestrix.test.observability"


class RecordingMetrics(MetricsProvider):
    def __init__(self) -> None:
        self.metrics: list[MetricValue] = []

    def record_metric(self, metric: MetricValue) -> None:
        self.metrics.append(metric)


class RecordingTracing(TracingProvider):
    def __init__(self) -> None:
        self.ended: list[TraceSpan] = []

    def start_span(self, operation: str) -> TraceSpan:
        return TraceSpan(operation, provider=self)

    def end_span(self, span: TraceSpan) -> None:
        self.ended.append(span)


class BrokenMetrics(MetricsProvider):
    def record_metric(self, metric: MetricValue) -> None:
        raise ConnectionError("metrics backend down")


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def tracing() -> RecordingTracing:
    return RecordingTracing()


@pytest.fixture
def hooks(metrics: RecordingMetrics, tracing: RecordingTracing) -> ObservabilityHooks:
    return ObservabilityHooks(metrics, tracing, logging.getLogger(LOGGER_NAME))


@pytest.fixture
def restore_global() -> Iterator[None]:
    previous = get_observability()
    yield
    set_observability(previous)


RECORDS: list[tuple[str, str, object, float, dict[str, str]]] = [
    ("event_stored", EVENTS_STORED, 7, 1, {}),
    ("event_loaded", EVENTS_LOADED, 12, 12, {}),
    ("event_replayed", EVENTS_REPLAYED, "AccountOpened", 1, {"event_type": "AccountOpened"}),
    ("snapshot_saved", SNAPSHOTS_SAVED, 50, 1, {}),
    ("snapshot_loaded", SNAPSHOTS_LOADED, 50, 1, {}),
    ("aggregate_error", AGGREGATE_ERRORS, "boom", 1, {}),
]


@pytest.mark.parametrize("case", RECORDS, ids=[case[0] for case in RECORDS])
def test_record_counts_a_metric_without_the_aggregate_id(
    hooks: ObservabilityHooks,
    metrics: RecordingMetrics,
    case: tuple[str, str, object, float, dict[str, str]],
) -> None:
    hook, name, detail, amount, labels = case

    getattr(hooks, f"record_{hook}")(AGGREGATE_ID, detail)

    assert metrics.metrics == [MetricValue(name, amount, MetricType.COUNTER, labels)]
    assert AGGREGATE_ID not in metrics.metrics[0].labels.values()


@pytest.mark.parametrize(("hook", "detail"), [(case[0], case[2]) for case in RECORDS])
def test_record_calls_registered_callbacks_in_order(
    hooks: ObservabilityHooks, hook: str, detail: object
) -> None:
    calls: list[tuple[str, object, object]] = []
    register = getattr(hooks, f"on_{hook}")
    register(lambda aggregate_id, value: calls.append(("first", aggregate_id, value)))
    register(lambda aggregate_id, value: calls.append(("second", aggregate_id, value)))

    getattr(hooks, f"record_{hook}")(AGGREGATE_ID, detail)

    assert calls == [("first", AGGREGATE_ID, detail), ("second", AGGREGATE_ID, detail)]


def test_callbacks_only_hear_their_own_hook(hooks: ObservabilityHooks) -> None:
    stored: list[int] = []
    hooks.on_event_stored(lambda _id, version: stored.append(version))

    hooks.record_snapshot_saved(AGGREGATE_ID, 3)
    hooks.record_event_loaded(AGGREGATE_ID, 4)

    assert stored == []


def test_on_hooks_work_as_decorators(hooks: ObservabilityHooks) -> None:
    seen: list[str] = []

    @hooks.on_aggregate_error
    def remember(aggregate_id: str, error: str) -> None:
        seen.append(error)

    hooks.record_aggregate_error(AGGREGATE_ID, "bad state")

    assert callable(remember)
    assert seen == ["bad state"]


def test_a_failing_callback_is_logged_and_the_others_still_run(
    hooks: ObservabilityHooks, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []

    def broken(aggregate_id: str, version: int) -> None:
        raise RuntimeError("callback bug")

    hooks.on_event_stored(broken)
    hooks.on_event_stored(lambda _id, version: seen.append(version))

    hooks.record_event_stored(AGGREGATE_ID, 1)

    assert seen == [1]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage().startswith("observability callback failed [hook=event_stored, ")
    assert record.context["hook"] == "event_stored"  # type: ignore[attr-defined]
    assert "broken" in record.context["callback"]  # type: ignore[attr-defined]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


def test_a_callback_interrupt_is_not_swallowed(hooks: ObservabilityHooks) -> None:
    def interrupt(aggregate_id: str, version: int) -> None:
        raise KeyboardInterrupt

    hooks.on_event_stored(interrupt)

    with pytest.raises(KeyboardInterrupt):
        hooks.record_event_stored(AGGREGATE_ID, 1)


def test_a_failing_metrics_provider_is_logged_and_callbacks_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hooks = ObservabilityHooks(BrokenMetrics(), logger=logging.getLogger(LOGGER_NAME))
    seen: list[int] = []
    hooks.on_event_stored(lambda _id, version: seen.append(version))

    hooks.record_event_stored(AGGREGATE_ID, 2)

    assert seen == [2]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "metrics provider failed [hook=event_stored, metric=orchestrix_events_stored_total]"
    ]


def test_records_are_logged_at_debug_with_context(
    hooks: ObservabilityHooks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    hooks.record_event_replayed(AGGREGATE_ID, "AccountOpened")

    [record] = caplog.records
    assert record.levelno == logging.DEBUG
    assert record.context == {  # type: ignore[attr-defined]
        "hook": "event_replayed",
        "aggregate_id": AGGREGATE_ID,
        "detail": "AccountOpened",
    }


def test_event_store_operation_span_ends_through_its_provider(
    hooks: ObservabilityHooks, tracing: RecordingTracing
) -> None:
    with hooks.start_event_store_operation("save") as span:
        assert span.end_time is None
        assert tracing.ended == []

    assert tracing.ended == [span]
    assert span.operation == "event_store.save"
    assert span.attributes["event_store.operation"] == "save"
    assert span.status is SpanStatus.OK
    assert span.duration is not None
    assert span.duration >= 0


def test_span_records_an_escaping_exception_and_reraises(tracing: RecordingTracing) -> None:
    span = tracing.start_span("load")

    with pytest.raises(ValueError, match="corrupt"), span:
        raise ValueError("corrupt")

    assert tracing.ended == [span]
    assert span.status is SpanStatus.ERROR
    assert span.attributes["error.type"] == "ValueError"
    assert span.attributes["error.message"] == "corrupt"


def test_span_ends_once_however_often_it_is_ended(tracing: RecordingTracing) -> None:
    span = tracing.start_span("load")

    span.end()
    end_time = span.end_time
    span.end()
    with span:
        pass

    assert tracing.ended == [span]
    assert span.end_time == end_time


def test_span_keeps_a_status_set_inside_the_block(tracing: RecordingTracing) -> None:
    with tracing.start_span("load") as span:
        span.record_exception(TimeoutError("slow"))

    assert span.status is SpanStatus.ERROR


def test_spans_get_distinct_w3c_sized_ids() -> None:
    first, second = TraceSpan("a"), TraceSpan("b")

    assert len(first.trace_id) == 32
    assert len(first.span_id) == 16
    assert first.trace_id != second.trace_id
    assert first.span_id != second.span_id


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (lambda m: m.counter("c"), MetricValue("c", 1.0, MetricType.COUNTER)),
        (
            lambda m: m.counter("c", 3, {"op": "save"}),
            MetricValue("c", 3, MetricType.COUNTER, {"op": "save"}),
        ),
        (lambda m: m.gauge("g", 0.5), MetricValue("g", 0.5, MetricType.GAUGE)),
        (
            lambda m: m.histogram("h", 0.2, "seconds", {"op": "load"}),
            MetricValue("h", 0.2, MetricType.HISTOGRAM, {"op": "load"}, "seconds"),
        ),
    ],
)
def test_provider_shortcuts_go_through_record_metric(
    metrics: RecordingMetrics,
    record: Callable[[MetricsProvider], None],
    expected: MetricValue,
) -> None:
    record(metrics)

    assert metrics.metrics == [expected]


def test_no_op_providers_accept_everything() -> None:
    metrics = NoOpMetricsProvider()
    tracing = NoOpTracingProvider()

    metrics.counter("c", labels={"a": "b"})
    metrics.histogram("h", 1.0, "s")
    with tracing.start_span("op") as span:
        pass

    assert span.provider is tracing
    assert span.end_time is not None


def test_hooks_default_to_no_op_providers() -> None:
    hooks = ObservabilityHooks()

    assert isinstance(hooks.metrics_provider, NoOpMetricsProvider)
    assert isinstance(hooks.tracing_provider, NoOpTracingProvider)
    assert hooks.logger.name == "orchestrix.core.common.observability"
    hooks.record_event_stored(AGGREGATE_ID, 1)


def test_the_global_default_is_a_no_op_instance() -> None:
    hooks = get_observability()

    assert hooks is get_observability()
    assert isinstance(hooks.metrics_provider, NoOpMetricsProvider)
    assert isinstance(hooks.tracing_provider, NoOpTracingProvider)


@pytest.mark.usefixtures("restore_global")
def test_set_observability_replaces_the_global(hooks: ObservabilityHooks) -> None:
    set_observability(hooks)

    assert get_observability() is hooks


@pytest.mark.usefixtures("restore_global")
def test_init_observability_builds_and_installs_hooks(
    metrics: RecordingMetrics, tracing: RecordingTracing
) -> None:
    logger = logging.getLogger(LOGGER_NAME)

    hooks = init_observability(metrics_provider=metrics, tracing_provider=tracing, logger=logger)

    assert get_observability() is hooks
    assert hooks.metrics_provider is metrics
    assert hooks.tracing_provider is tracing
    assert hooks.logger is logger
    get_observability().record_event_stored(AGGREGATE_ID, 1)
    assert [m.name for m in metrics.metrics] == [EVENTS_STORED]
