"""An OpenTelemetry SDK provider whose finished spans a test can read."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orchestrix.infrastructure.observability.jaeger import JaegerTracer


class FinishedSpans:
    """A tracer on its own SDK provider, exporting synchronously into memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = JaegerTracer(tracer_provider=self.provider)

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        (span,) = [span for span in self.spans() if span.name == name]
        return span

    def parent_name(self, span: ReadableSpan) -> str | None:
        if span.parent is None:
            return None
        parents = [s.name for s in self.spans() if s.context.span_id == span.parent.span_id]
        return parents[0] if parents else "<remote>"
