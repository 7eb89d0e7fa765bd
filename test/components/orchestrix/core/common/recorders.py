"""Providers that keep what they receive, for tests of what the library reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from orchestrix.core.common.metrics import MetricsProvider, MetricValue
from orchestrix.core.common.observability import (
    ObservabilityHooks,
    get_observability,
    set_observability,
)
from orchestrix.core.common.tracing import TraceSpan, TracingProvider

type Call = tuple[str, tuple[object, ...], dict[str, object]]


class RecordingMetrics(MetricsProvider):
    """Keeps every call as `(method, positional arguments, keyword arguments)`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def record_metric(self, metric: MetricValue) -> None:
        self.calls.append(("record_metric", (metric,), {}))

    def counter(self, name: str, value: float = 1.0, labels: dict[str, str] | None = None) -> None:
        self.calls.append(("counter", (name, value), {"labels": labels}))

    def gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        self.calls.append(("gauge", (name, value), {"labels": labels}))

    def histogram(
        self, name: str, value: float, unit: str = "", labels: dict[str, str] | None = None
    ) -> None:
        self.calls.append(("histogram", (name, value, unit), {"labels": labels}))

    def named(self, name: str) -> list[Call]:
        return [call for call in self.calls if call[1] and call[1][0] == name]


class StartEndTracer:
    """Keeps the spans it started and ended, in order: a tracer as the first release let one
    be written, with `start_span` and `end_span` only and no `TracingProvider` base."""

    def __init__(self) -> None:
        self.started: list[TraceSpan] = []
        self.ended: list[TraceSpan] = []

    def start_span(self, operation: str) -> TraceSpan:
        span = TraceSpan(operation=operation)
        self.started.append(span)
        return span

    def end_span(self, span: TraceSpan) -> None:
        span.end()
        self.ended.append(span)

    def operations(self) -> list[str]:
        return [span.operation for span in self.ended]


class RecordingTracing(StartEndTracer, TracingProvider):
    """Keeps the spans it started and ended, in order."""


@contextmanager
def observing(hooks: ObservabilityHooks) -> Iterator[ObservabilityHooks]:
    """`hooks` as the process-wide hooks for the block, the previous ones afterwards."""
    previous = get_observability()
    set_observability(hooks)
    try:
        yield hooks
    finally:
        set_observability(previous)
