"""Tracing switched on for the demo, the way an application does it, and the spans drawn.

The OpenTelemetry SDK's own exporters do the work: its `ConsoleSpanExporter` prints each span
as it ends (with a one-line format, instead of a page of JSON per span), or, when
`OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) names a collector, the library's
`init_tracing` sends the spans there over OTLP. Either way an `InMemorySpanExporter` keeps
them too, so the demo can draw each trace as a tree at the end.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from orchestrix.core.common.observability import (
    get_observability,
    init_observability,
    set_observability,
)
from orchestrix.infrastructure.observability import JaegerTracer, TracingConfig, init_tracing

SERVICE = "tracing-demo"
_OTLP_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def otlp_endpoint() -> str | None:
    """The collector the environment names, if any."""
    return next((os.environ[v] for v in _OTLP_VARIABLES if os.environ.get(v, "").strip()), None)


def short(identifier: int | None) -> str:
    """The first 8 hex digits of a trace or span id: enough to tell them apart here."""
    return "-" if identifier is None else format(identifier, "032x")[:8]


def short_span(identifier: int | None) -> str:
    return "-" if identifier is None else format(identifier, "016x")[:8]


def label(span: ReadableSpan) -> str:
    """`command.handle PlaceOrder place_order`: the span, what it is about, and its status."""
    attributes = span.attributes or {}
    about = [
        str(attributes[key])
        for key in ("command.type", "event.type", "aggregate.type", "event_store.type")
        if key in attributes
    ]
    handler = attributes.get("orchestrix.handler")
    if handler is not None:
        about.append(f"by {str(handler).rsplit('.', 1)[-1]}")
    if span.status.status_code is StatusCode.ERROR:
        about.append(f"ERROR {attributes.get('error.type', '')}".rstrip())
    return " ".join([span.name, *about])


def one_line(span: ReadableSpan) -> str:
    """The console exporter's format: one line per span, as it ends."""
    context, parent = span.context, span.parent
    ids = f"span {short_span(context.span_id if context else None)}"
    ids += f" (parent {short_span(parent.span_id if parent else None)}"
    ids += f", trace {short(context.trace_id if context else None)})"
    return f"  {ids} ended: {label(span)}{os.linesep}"


@contextmanager
def tracing() -> Iterator[InMemorySpanExporter]:
    """The process-wide observability hooks trace into OpenTelemetry for the block; yields
    the exporter that keeps every span. The hooks are put back as they were afterwards."""
    previous = get_observability()
    endpoint = otlp_endpoint()
    if endpoint is not None:
        tracer = init_tracing(TracingConfig(service_name=SERVICE))
        provider = tracer.tracer_provider
        assert provider is not None, "init_tracing builds a provider"
    else:
        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
        exporter = ConsoleSpanExporter(out=sys.stdout, formatter=one_line)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = JaegerTracer(tracer_provider=provider)
    kept = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(kept))
    init_observability(tracing_provider=tracer.as_tracing_provider())
    try:
        yield kept
    finally:
        set_observability(previous)
        provider.shutdown()  # exports what is still waiting in an OTLP batch


def draw(spans: Sequence[ReadableSpan]) -> list[str]:
    """Each trace as a tree: a line per span, children indented under their parent, in the
    order they started."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent else None
        by_parent.setdefault(parent, []).append(span)
    lines: list[str] = []

    def walk(span: ReadableSpan, depth: int) -> None:
        lines.append(f"{'  ' * depth}{label(span)}")
        for child in by_parent.get(span.context.span_id if span.context else None, []):
            walk(child, depth + 1)

    for root in by_parent.get(None, []):
        lines.append(f"trace {short(root.context.trace_id if root.context else None)}:")
        walk(root, 1)
    return lines
