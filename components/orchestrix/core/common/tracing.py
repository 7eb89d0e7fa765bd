"""The tracing port: spans the library opens around its operations, independent of a backend.

`TracingProvider` needs only `start_span` and `end_span` (the first release's interface). Its
other methods have working defaults that a backend refines: OpenTelemetry (in
`orchestrix.infrastructure.observability`) starts spans with attributes and a kind, parents
them, and carries W3C context. The defaults pass a received trace context through unchanged,
so a service without a tracer does not break the traces of the services around it.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from orchestrix.core.common.trace_context import TraceContext, remote_parent

type AttributeValue = str | bool | int | float


class SpanKind(StrEnum):
    """The role of a span, as OpenTelemetry names it (brokers use producer and consumer)."""

    INTERNAL = "internal"
    SERVER = "server"
    CLIENT = "client"
    PRODUCER = "producer"
    CONSUMER = "consumer"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TraceSpan:
    """A timed operation; `end` and `set_error` fill in its end, duration and status.

    `trace_id` and `span_id` (hex) are filled in by providers that have them; `handle` is the
    provider's own object behind the span (an OpenTelemetry span, for instance).
    """

    operation: str
    start_time: datetime = field(default_factory=_now)
    end_time: datetime | None = None
    duration_ms: float = 0.0
    status: str = "pending"
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    trace_id: str | None = field(default=None, compare=False)
    span_id: str | None = field(default=None, compare=False)
    handle: object = field(default=None, init=False, repr=False, compare=False)
    _started: float = field(
        default_factory=time.perf_counter, init=False, repr=False, compare=False
    )

    def end(self) -> None:
        """Stop the clock; the status becomes "ok" unless an error was set."""
        self._stop()
        if self.status == "pending":
            self.status = "ok"

    def set_error(self, error: str) -> None:
        """Stop the clock and mark the span failed with `error`."""
        self.error = error
        self.status = "error"
        self._stop()

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes[key] = value

    def _stop(self) -> None:
        self.end_time = _now()
        # The monotonic clock keeps the duration positive even within one clock tick.
        elapsed = (self.end_time - self.start_time).total_seconds()
        self.duration_ms = max(elapsed, time.perf_counter() - self._started) * 1000


class TracingProvider(ABC):
    """Starts spans and exports them once they end."""

    @abstractmethod
    def start_span(self, operation: str) -> TraceSpan:
        """Open a span named `operation`."""

    @abstractmethod
    def end_span(self, span: TraceSpan) -> None:
        """End a span opened by `start_span` (or `open_span`) and export it."""

    def open_span(
        self,
        operation: str,
        attributes: Mapping[str, AttributeValue] | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> TraceSpan:
        """Open a span with its attributes and kind known from the start.

        The library opens its spans here; the default is `start_span` plus the attributes.
        """
        span = self.start_span(operation)
        if attributes:
            span.attributes.update(attributes)
        return span

    def record_error(self, span: TraceSpan, error: BaseException) -> None:
        """Mark `span` failed by `error` (its type and text also become attributes)."""
        span.attributes["error.type"] = type(error).__name__
        span.attributes["error.message"] = str(error)
        span.set_error(str(error))

    def current_context(self) -> TraceContext | None:
        """The W3C context of the active span, or of the trace being passed through."""
        return remote_parent.get()

    def inject(self, carrier: MutableMapping[str, str]) -> None:
        """Write the active context into outgoing headers."""
        context = self.current_context()
        if context is not None:
            context.inject(carrier)

    @contextmanager
    def activate(self, context: TraceContext) -> Iterator[None]:
        """Make a received context the parent of the spans opened inside the block."""
        token = remote_parent.set(context)
        try:
            yield
        finally:
            remote_parent.reset(token)


class NoOpTracingProvider(TracingProvider):
    """Hands out spans that go nowhere: the default when no backend is configured."""

    def start_span(self, operation: str) -> TraceSpan:
        return TraceSpan(operation=operation)

    def end_span(self, span: TraceSpan) -> None:
        span.end()


class _StartEndTracing(TracingProvider):
    """A tracer with only `start_span` and `end_span`, which the first release accepted
    without subclassing `TracingProvider`, given the span methods the library also calls.
    Its other attributes are read through."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def start_span(self, operation: str) -> TraceSpan:
        span: TraceSpan = self.tracer.start_span(operation)
        return span

    def end_span(self, span: TraceSpan) -> None:
        self.tracer.end_span(span)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tracer, name)


def as_tracing_provider(tracer: Any) -> TracingProvider:
    """`tracer` itself when it is a `TracingProvider`, else a provider that delegates to its
    `start_span` and `end_span`."""
    return tracer if isinstance(tracer, TracingProvider) else _StartEndTracing(tracer)


__all__ = [
    "AttributeValue",
    "NoOpTracingProvider",
    "SpanKind",
    "TraceSpan",
    "TracingProvider",
    "as_tracing_provider",
]
