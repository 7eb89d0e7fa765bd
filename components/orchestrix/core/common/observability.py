"""Observability hooks: the event store and repositories report here, backends listen.

One `ObservabilityHooks` object turns each event-sourcing fact (event stored, snapshot
loaded, ...) into a metric, a DEBUG log record and calls to registered callbacks. It never
breaks the operation it observes: a failing callback or backend is logged, not raised.
Metrics are labelled by event type at most, never by aggregate id, so their number of series
stays bounded.

The process-wide default is a no-op; `init_observability` or `set_observability` replace it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.core.common.metrics import (
    MetricsProvider,
    MetricType,
    MetricValue,
    NoOpMetricsProvider,
)
from orchestrix.core.common.tracing import (
    NoOpTracingProvider,
    SpanStatus,
    TraceSpan,
    TracingProvider,
)

type VersionCallback = Callable[[str, int], object]
"""Called with `(aggregate_id, version)`, or `(aggregate_id, count)` for loads."""
type TextCallback = Callable[[str, str], object]
"""Called with `(aggregate_id, event_type)` for replays, `(aggregate_id, error)` for errors."""

EVENTS_STORED: Final = "orchestrix_events_stored_total"
EVENTS_LOADED: Final = "orchestrix_events_loaded_total"
EVENTS_REPLAYED: Final = "orchestrix_events_replayed_total"
SNAPSHOTS_SAVED: Final = "orchestrix_snapshots_saved_total"
SNAPSHOTS_LOADED: Final = "orchestrix_snapshots_loaded_total"
AGGREGATE_ERRORS: Final = "orchestrix_aggregate_errors_total"


class ObservabilityHooks:
    """Reports event-sourcing facts to metrics, tracing, logs and registered callbacks."""

    def __init__(
        self,
        metrics_provider: MetricsProvider | None = None,
        tracing_provider: TracingProvider | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.metrics_provider: MetricsProvider = (
            NoOpMetricsProvider() if metrics_provider is None else metrics_provider
        )
        self.tracing_provider: TracingProvider = (
            NoOpTracingProvider() if tracing_provider is None else tracing_provider
        )
        self.logger = get_logger(__name__) if logger is None else logger
        self._log = StructuredLogger(self.logger)
        self._callbacks: dict[str, list[Callable[..., object]]] = {}

    def record_event_stored(self, aggregate_id: str, version: int) -> None:
        self._report("event_stored", EVENTS_STORED, aggregate_id, version)

    def record_event_loaded(self, aggregate_id: str, count: int) -> None:
        self._report("event_loaded", EVENTS_LOADED, aggregate_id, count, amount=count)

    def record_event_replayed(self, aggregate_id: str, event_type: str) -> None:
        labels = {"event_type": event_type}
        self._report("event_replayed", EVENTS_REPLAYED, aggregate_id, event_type, labels=labels)

    def record_snapshot_saved(self, aggregate_id: str, version: int) -> None:
        self._report("snapshot_saved", SNAPSHOTS_SAVED, aggregate_id, version)

    def record_snapshot_loaded(self, aggregate_id: str, version: int) -> None:
        self._report("snapshot_loaded", SNAPSHOTS_LOADED, aggregate_id, version)

    def record_aggregate_error(self, aggregate_id: str, error: str) -> None:
        self._report("aggregate_error", AGGREGATE_ERRORS, aggregate_id, error)

    def start_event_store_operation(self, operation: str) -> TraceSpan:
        """Open a span `event_store.<operation>`; use it as a context manager to end it."""
        span = self.tracing_provider.start_span(f"event_store.{operation}")
        span.set_attribute("event_store.operation", operation)
        return span

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

    def _register[C: Callable[..., object]](self, hook: str, callback: C) -> C:
        """Add a callback for `hook`; returning it lets `on_*` be used as a decorator."""
        self._callbacks.setdefault(hook, []).append(callback)
        return callback

    def _report(
        self,
        hook: str,
        metric: str,
        aggregate_id: str,
        detail: object,
        *,
        amount: float = 1,
        labels: dict[str, str] | None = None,
    ) -> None:
        """Count `metric`, log at DEBUG, then call the callbacks with `(aggregate_id, detail)`."""
        self._log.debug("observability hook", hook=hook, aggregate_id=aggregate_id, detail=detail)
        try:
            self.metrics_provider.counter(metric, amount, labels)
        except Exception:
            self._log.exception("metrics provider failed", hook=hook, metric=metric)
        for callback in tuple(self._callbacks.get(hook, ())):
            try:
                callback(aggregate_id, detail)
            except Exception:
                name = getattr(callback, "__qualname__", repr(callback))
                self._log.exception("observability callback failed", hook=hook, callback=name)


_default_hooks = ObservabilityHooks()


def get_observability() -> ObservabilityHooks:
    """The process-wide hooks; a no-op instance unless replaced."""
    return _default_hooks


def set_observability(hooks: ObservabilityHooks) -> None:
    """Replace the process-wide hooks (tests restore the previous ones afterwards)."""
    global _default_hooks  # noqa: PLW0603 - the one documented process-wide default
    _default_hooks = hooks


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
    "AGGREGATE_ERRORS",
    "EVENTS_LOADED",
    "EVENTS_REPLAYED",
    "EVENTS_STORED",
    "SNAPSHOTS_LOADED",
    "SNAPSHOTS_SAVED",
    "MetricType",
    "MetricValue",
    "MetricsProvider",
    "NoOpMetricsProvider",
    "NoOpTracingProvider",
    "ObservabilityHooks",
    "SpanStatus",
    "TextCallback",
    "TraceSpan",
    "TracingProvider",
    "VersionCallback",
    "get_observability",
    "init_observability",
    "set_observability",
]
