"""Observability hooks: the one place where the library reports what it does.

An `ObservabilityHooks` holds a metrics provider, a tracing provider, a logger and callbacks.
Buses, stores, the repository, projections and sagas report through the process-wide hooks
(`get_observability`); with the default no-op providers and no callbacks the library does not
call them at all (see `instrumentation`). Metrics are labelled by type, never by aggregate id,
so their number of series stays bounded (`metric_names` lists them).

The `record_*`/`on_*` methods and the callbacks' arguments are those of the first release;
the `record_<operation>` methods below them are what the library's own instrumentation calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from orchestrix.core.common import metric_names as names
from orchestrix.core.common.metrics import (
    MetricsProvider,
    MetricType,
    MetricValue,
    NoOpMetricsProvider,
)
from orchestrix.core.common.tracing import (
    AttributeValue,
    NoOpTracingProvider,
    SpanKind,
    TraceSpan,
    TracingProvider,
    as_tracing_provider,
)

type VersionCallback = Callable[[str, int], object]
"""Called with `(aggregate_id, version)`, or `(aggregate_id, count)` for loads."""
type TextCallback = Callable[[str, str], object]
"""Called with `(aggregate_id, event_type)` for replays, `(aggregate_id, error)` for errors."""

LOGGER_NAME = "orchestrix.observability"


class ObservabilityHooks:
    """Turns what the library does into metrics, spans, callbacks and log records.

    `record_*` emit the metric first, then call the callbacks registered with the matching
    `on_*` in registration order; a callback's exception propagates to the caller (the
    library's instrumentation catches and logs it, so it never fails the operation).
    """

    def __init__(
        self,
        metrics_provider: MetricsProvider | None = None,
        tracing_provider: TracingProvider | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._metrics: MetricsProvider = (
            NoOpMetricsProvider() if metrics_provider is None else metrics_provider
        )
        self._tracing: TracingProvider = (
            NoOpTracingProvider()
            if tracing_provider is None
            else as_tracing_provider(tracing_provider)
        )
        self.logger = logging.getLogger(LOGGER_NAME) if logger is None else logger
        self._callbacks: dict[str, list[Callable[..., object]]] = {}

    @property
    def metrics(self) -> MetricsProvider:
        return self._metrics

    @metrics.setter
    def metrics(self, provider: MetricsProvider) -> None:
        self._metrics = provider
        _changed()

    @property
    def tracing(self) -> TracingProvider:
        return self._tracing

    @tracing.setter
    def tracing(self, provider: TracingProvider) -> None:
        self._tracing = as_tracing_provider(provider)
        _changed()

    @property
    def has_callbacks(self) -> bool:
        return any(self._callbacks.values())

    # The first release's hooks.

    def record_event_stored(
        self, aggregate_id: str, version: int, *, event_type: str = names.UNKNOWN
    ) -> None:
        self.metrics.counter(names.EVENTS_STORED, labels={"event_type": event_type})
        self._call("event_stored", aggregate_id, version)

    def record_event_loaded(self, aggregate_id: str, count: int) -> None:
        self.metrics.histogram(names.EVENTS_LOADED_COUNT, count, labels={})
        self._call("event_loaded", aggregate_id, count)

    def record_event_replayed(self, aggregate_id: str, event_type: str) -> None:
        self.metrics.counter(names.EVENTS_REPLAYED, labels={"event_type": event_type})
        self._call("event_replayed", aggregate_id, event_type)

    def record_snapshot_saved(
        self, aggregate_id: str, version: int, *, aggregate_type: str = names.UNKNOWN
    ) -> None:
        self.metrics.counter(names.SNAPSHOTS_SAVED, labels={"aggregate_type": aggregate_type})
        self._call("snapshot_saved", aggregate_id, version)

    def record_snapshot_loaded(
        self, aggregate_id: str, version: int, *, aggregate_type: str = names.UNKNOWN
    ) -> None:
        self.metrics.counter(names.SNAPSHOTS_LOADED, labels={"aggregate_type": aggregate_type})
        self._call("snapshot_loaded", aggregate_id, version)

    def record_aggregate_error(
        self,
        aggregate_id: str,
        error: str | BaseException,
        *,
        aggregate_type: str = names.UNKNOWN,
    ) -> None:
        """Count an error by aggregate type and the exception's class (`unknown` for text)."""
        error_type = type(error).__name__ if isinstance(error, BaseException) else names.UNKNOWN
        labels = {"aggregate_type": aggregate_type, "error_type": error_type}
        self.metrics.counter(names.AGGREGATE_ERRORS, labels=labels)
        self._call("aggregate_error", aggregate_id, error)
        self.logger.warning(f"Aggregate error: {error}", extra={"aggregate_id": aggregate_id})

    def on_event_stored[C: VersionCallback](self, callback: C) -> C:
        return self._register("event_stored", callback)

    def on_event_loaded[C: VersionCallback](self, callback: C) -> C:
        return self._register("event_loaded", callback)

    def on_event_replayed[C: TextCallback](self, callback: C) -> C:
        return self._register("event_replayed", callback)

    def on_snapshot_saved[C: VersionCallback](self, callback: C) -> C:
        return self._register("snapshot_saved", callback)

    def on_snapshot_loaded[C: VersionCallback](self, callback: C) -> C:
        return self._register("snapshot_loaded", callback)

    def on_aggregate_error[C: TextCallback](self, callback: C) -> C:
        return self._register("aggregate_error", callback)

    def start_event_store_operation(self, operation: str) -> TraceSpan:
        """Open the span `event_store.<operation>`; end it with `end_event_store_operation`."""
        return self.tracing.start_span(f"event_store.{operation}")

    def end_event_store_operation(self, span: TraceSpan) -> None:
        self.tracing.end_span(span)

    # What the library's instrumentation reports.

    @contextmanager
    def span(
        self,
        operation: str,
        attributes: Mapping[str, AttributeValue] | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> Iterator[TraceSpan]:
        """A span around the block: an escaping exception marks it failed and propagates."""
        tracing = self.tracing
        span = tracing.open_span(operation, attributes, kind)
        try:
            yield span
        except BaseException as error:
            tracing.record_error(span, error)
            raise
        finally:
            tracing.end_span(span)

    def record_command_handled(
        self, command_type: str, seconds: float, *, succeeded: bool = True
    ) -> None:
        self._timed_outcome(
            names.COMMANDS_HANDLED,
            names.COMMAND_LATENCY,
            "command_type",
            command_type,
            seconds,
            succeeded=succeeded,
        )

    def record_event_published(
        self, event_type: str, seconds: float, *, succeeded: bool = True
    ) -> None:
        self._timed_outcome(
            names.EVENTS_PUBLISHED,
            names.EVENT_PROCESSING,
            "event_type",
            event_type,
            seconds,
            succeeded=succeeded,
        )

    def record_storage_operation(
        self, operation_type: str, seconds: float, *, succeeded: bool = True
    ) -> None:
        """An event-store operation (`append`, `load`) and how long it took."""
        self._timed_outcome(
            names.STORAGE_OPERATIONS,
            names.STORAGE_DURATION,
            "operation_type",
            operation_type,
            seconds,
            succeeded=succeeded,
        )

    def record_aggregate_loaded(self, aggregate_type: str, seconds: float) -> None:
        labels = {"aggregate_type": aggregate_type}
        self.metrics.histogram(names.AGGREGATE_LOAD_TIME, seconds, "seconds", labels=labels)
        self.metrics.counter(names.AGGREGATES_LOADED, labels=labels)

    def record_projection_lag(self, projection_name: str, events_behind: int) -> None:
        """How many events of the log a projection has still to process."""
        labels = {"projection_name": projection_name}
        self.metrics.gauge(names.PROJECTION_LAG, events_behind, labels=labels)

    def record_projection_update(self, projection_name: str, seconds: float) -> None:
        """How long one batch of a projection took."""
        labels = {"projection_name": projection_name}
        self.metrics.histogram(names.PROJECTION_UPDATE, seconds, "seconds", labels=labels)

    def record_saga_execution(self, saga_type: str, seconds: float, *, succeeded: bool) -> None:
        """One saga run to its end: completed (`success`) or failed (`error`)."""
        self._timed_outcome(
            names.SAGA_EXECUTIONS,
            names.SAGA_DURATION,
            "saga_type",
            saga_type,
            seconds,
            succeeded=succeeded,
        )

    def _timed_outcome(
        self,
        counter: str,
        histogram: str,
        label: str,
        value: str,
        seconds: float,
        *,
        succeeded: bool,
    ) -> None:
        """The duration into `histogram`, then one into `counter` with the outcome as status."""
        self.metrics.histogram(histogram, seconds, "seconds", labels={label: value})
        status = names.SUCCESS if succeeded else names.ERROR
        self.metrics.counter(counter, labels={label: value, "status": status})

    def _register[C: Callable[..., object]](self, hook: str, callback: C) -> C:
        """Add a callback for `hook`; returning it lets `on_*` be used as a decorator."""
        self._callbacks.setdefault(hook, []).append(callback)
        _changed()
        return callback

    def _call(self, hook: str, aggregate_id: str, detail: object) -> None:
        for callback in tuple(self._callbacks.get(hook, ())):
            callback(aggregate_id, detail)


_hooks: ObservabilityHooks | None = None
_listeners: list[Callable[[], None]] = []


def _changed() -> None:
    for listener in tuple(_listeners):
        listener()


def watch_observability(listener: Callable[[], None]) -> None:
    """Call `listener` whenever the process-wide hooks, or their providers, change."""
    _listeners.append(listener)


def get_observability() -> ObservabilityHooks:
    """The process-wide hooks; a no-op instance until replaced."""
    global _hooks  # noqa: PLW0603 - the one documented process-wide default
    if _hooks is None:
        _hooks = ObservabilityHooks()
    return _hooks


def set_observability(hooks: ObservabilityHooks) -> None:
    """Replace the process-wide hooks (tests restore the previous ones afterwards)."""
    global _hooks  # noqa: PLW0603 - the one documented process-wide default
    _hooks = hooks
    _changed()


def init_observability(
    metrics_provider: MetricsProvider | None = None,
    tracing_provider: TracingProvider | None = None,
    logger: logging.Logger | None = None,
) -> ObservabilityHooks:
    """Build hooks from the given backends and make them the process-wide default."""
    hooks = ObservabilityHooks(metrics_provider, tracing_provider, logger)
    set_observability(hooks)
    return hooks


__all__ = [
    "MetricType",
    "MetricValue",
    "MetricsProvider",
    "NoOpMetricsProvider",
    "NoOpTracingProvider",
    "ObservabilityHooks",
    "SpanKind",
    "TextCallback",
    "TraceSpan",
    "TracingProvider",
    "VersionCallback",
    "get_observability",
    "init_observability",
    "set_observability",
    "watch_observability",
]
