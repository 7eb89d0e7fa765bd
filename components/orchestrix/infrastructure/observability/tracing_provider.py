"""OpenTelemetry as the observability hooks' `TracingProvider`.

Each span the library opens becomes an OpenTelemetry span and the current one until it
ends, so spans opened inside it (a handler's store save, the events it publishes) are its
children, and so are spans of any other OpenTelemetry instrumentation running there. The W3C
context goes in and out through OpenTelemetry's configured propagators.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from orchestrix.core.common.trace_context import TraceContext
from orchestrix.core.common.tracing import (
    AttributeValue,
    SpanKind,
    TraceSpan,
    TracingProvider,
)
from orchestrix.infrastructure.observability.jaeger import JaegerTracer, get_tracer

_KINDS = {
    SpanKind.INTERNAL: trace.SpanKind.INTERNAL,
    SpanKind.SERVER: trace.SpanKind.SERVER,
    SpanKind.CLIENT: trace.SpanKind.CLIENT,
    SpanKind.PRODUCER: trace.SpanKind.PRODUCER,
    SpanKind.CONSUMER: trace.SpanKind.CONSUMER,
}


@dataclass(frozen=True, slots=True)
class _Open:
    """The OpenTelemetry span behind a `TraceSpan`, and how to leave its context."""

    span: trace.Span
    token: object
    opened_with: Mapping[str, AttributeValue]


class OpenTelemetryTracing(TracingProvider):
    """Opens the library's spans on a `JaegerTracer` (by default `get_tracer()`)."""

    def __init__(self, tracer: JaegerTracer | None = None) -> None:
        self.tracer = get_tracer() if tracer is None else tracer

    def start_span(self, operation: str) -> TraceSpan:
        return self.open_span(operation)

    def open_span(
        self,
        operation: str,
        attributes: Mapping[str, AttributeValue] | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> TraceSpan:
        otel_span = self.tracer.opentelemetry_tracer.start_span(
            operation, kind=_KINDS[kind], attributes=attributes
        )
        token = otel_context.attach(trace.set_span_in_context(otel_span))
        ids = otel_span.get_span_context()
        span = TraceSpan(
            operation=operation,
            attributes=dict(attributes) if attributes else {},
            trace_id=format(ids.trace_id, "032x"),
            span_id=format(ids.span_id, "016x"),
        )
        span.handle = _Open(otel_span, token, span.attributes.copy())
        return span

    def end_span(self, span: TraceSpan) -> None:
        """Copy the attributes set since it opened and the status, end it, leave its context."""
        handle = span.handle
        span.end()
        if not isinstance(handle, _Open):
            return
        otel_span = handle.span
        opened_with = handle.opened_with
        changed = {
            key: value
            for key, value in span.attributes.items()
            if isinstance(value, str | bool | int | float) and opened_with.get(key) != value
        }
        if changed:
            otel_span.set_attributes(changed)
        if span.status == "error":
            otel_span.set_status(Status(StatusCode.ERROR, span.error))
        otel_span.end()
        otel_context.detach(handle.token)  # type: ignore[arg-type]

    def record_error(self, span: TraceSpan, error: BaseException) -> None:
        super().record_error(span, error)
        if isinstance(span.handle, _Open):
            span.handle.span.record_exception(error)

    def current_context(self) -> TraceContext | None:
        ids = trace.get_current_span().get_span_context()
        if not ids.is_valid:
            return None
        return TraceContext(
            format(ids.trace_id, "032x"),
            format(ids.span_id, "016x"),
            sampled=ids.trace_flags.sampled,
            tracestate=ids.trace_state.to_header() or None,
        )

    def inject(self, carrier: MutableMapping[str, str]) -> None:
        propagate.inject(carrier)

    @contextmanager
    def activate(self, context: TraceContext) -> Iterator[None]:
        remote = SpanContext(
            trace_id=int(context.trace_id, 16),
            span_id=int(context.span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED if context.sampled else TraceFlags.DEFAULT),
            trace_state=TraceState.from_header([context.tracestate])
            if context.tracestate
            else None,
        )
        token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(remote)))
        try:
            yield
        finally:
            otel_context.detach(token)


__all__ = ["OpenTelemetryTracing"]
