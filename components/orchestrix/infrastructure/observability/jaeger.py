"""Tracing on OpenTelemetry, exported over OTLP (which Jaeger ingests natively).

`JaegerTracer` keeps the first release's API (its span names and attribute keys);
`init_tracing` sets up the OpenTelemetry SDK with an OTLP exporter, HTTP by default and gRPC
on request, configured by `TracingConfig` or by the standard `OTEL_EXPORTER_OTLP_*`
variables. `JaegerTracer.as_tracing_provider()` plugs the tracer into the observability hooks,
so the library's own spans (command.dispatch, event.handle, event_store.save, ...) join the
same traces. The retired Jaeger exporter is never used.

Importing this module never fails; without OpenTelemetry `HAS_JAEGER` is False and the
tracer and `init_tracing` raise an ImportError naming the extra to install.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestrix.infrastructure.observability._extra import INSTALL_HINT

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from orchestrix.infrastructure.observability.tracing_provider import OpenTelemetryTracing

try:
    import opentelemetry.sdk.trace
    from opentelemetry import trace
except ImportError:
    HAS_JAEGER = False
else:
    HAS_JAEGER = True

_MISSING = f"OpenTelemetry not installed. {INSTALL_HINT}"
_PROTOCOLS = ("http/protobuf", "grpc")


def _require() -> None:
    if not HAS_JAEGER:
        raise ImportError(_MISSING)


@dataclass(frozen=True)
class TracingConfig:
    """Where and how traces are exported.

    `otlp_endpoint`, `otlp_protocol` (`"http/protobuf"` or `"grpc"`), `otlp_headers` and
    `otlp_timeout` default to the `OTEL_EXPORTER_OTLP_*` variables, then to the collector on
    `jaeger_agent_host` (port 4318 for HTTP, 4317 for gRPC). The Jaeger agent's UDP port
    cannot receive OTLP, so `jaeger_agent_port` is checked but not used. The sampler fields
    map to OpenTelemetry samplers: `const` (param 0 samples nothing, else everything),
    `probabilistic` (param = ratio); other types sample everything. Every sampler respects
    the decision of a sampled remote parent.
    """

    service_name: str
    jaeger_agent_host: str = "localhost"
    jaeger_agent_port: int = 6831
    jaeger_sampler_type: str = "const"
    jaeger_sampler_param: float = 1.0
    otlp_endpoint: str | None = None
    otlp_protocol: str | None = None
    otlp_headers: Mapping[str, str] | None = None
    otlp_timeout: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.service_name, str) or not self.service_name:
            raise ValueError("service_name must be non-empty string")
        if not isinstance(self.jaeger_agent_host, str) or not self.jaeger_agent_host:
            raise ValueError("jaeger_agent_host must be non-empty string")
        port = self.jaeger_agent_port
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError("jaeger_agent_port must be between 1 and 65535")
        if self.otlp_endpoint is not None and (
            not isinstance(self.otlp_endpoint, str) or not self.otlp_endpoint
        ):
            raise ValueError("otlp_endpoint must be non-empty string")
        if self.otlp_protocol is not None and self.otlp_protocol not in _PROTOCOLS:
            raise ValueError("otlp_protocol must be 'http/protobuf' or 'grpc'")


def _primitive(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


class JaegerTracer:
    """Spans around your own work, on the OpenTelemetry tracer named `tracer_name`.

    Without `tracer_provider` the process-wide OpenTelemetry provider is used (spans are
    non-recording until one is configured); `init_tracing` passes the provider it built.
    """

    def __init__(
        self, tracer_name: str = "orchestrix", tracer_provider: TracerProvider | None = None
    ) -> None:
        _require()
        self.tracer_name = tracer_name
        self.tracer_provider = tracer_provider
        self._tracer: Tracer = (
            trace.get_tracer(tracer_name)
            if tracer_provider is None
            else tracer_provider.get_tracer(tracer_name)
        )

    @property
    def opentelemetry_tracer(self) -> Tracer:
        return self._tracer

    @contextmanager
    def span(self, operation_name: str, attributes: dict[str, Any] | None = None) -> Iterator[None]:
        """A current span around the block; an escaping exception is recorded on it."""
        with self._tracer.start_as_current_span(operation_name) as span:
            _set_attributes(span, attributes)
            try:
                yield
            except Exception as error:
                _mark_failed(span, error)
                raise

    @asynccontextmanager
    async def async_span(
        self, operation_name: str, attributes: dict[str, Any] | None = None
    ) -> AsyncIterator[None]:
        with self.span(operation_name, attributes):
            yield

    def span_event(
        self, event_type: str, event_id: str, aggregate_id: str
    ) -> AbstractContextManager[None]:
        return self.span(f"process_event:{event_type}", _event(event_type, event_id, aggregate_id))

    def async_span_event(
        self, event_type: str, event_id: str, aggregate_id: str
    ) -> AbstractAsyncContextManager[None]:
        return self.async_span(
            f"process_event:{event_type}", _event(event_type, event_id, aggregate_id)
        )

    def span_command(self, command_type: str, aggregate_id: str) -> AbstractContextManager[None]:
        return self.span(f"handle_command:{command_type}", _command(command_type, aggregate_id))

    def async_span_command(
        self, command_type: str, aggregate_id: str
    ) -> AbstractAsyncContextManager[None]:
        return self.async_span(
            f"handle_command:{command_type}", _command(command_type, aggregate_id)
        )

    def span_saga(self, saga_type: str, saga_id: str) -> AbstractContextManager[None]:
        return self.span(f"execute_saga:{saga_type}", {"saga.type": saga_type, "saga.id": saga_id})

    def async_span_saga(self, saga_type: str, saga_id: str) -> AbstractAsyncContextManager[None]:
        return self.async_span(
            f"execute_saga:{saga_type}", {"saga.type": saga_type, "saga.id": saga_id}
        )

    def get_trace_id(self) -> str | None:
        """The current recording span's trace id (32 lowercase hex digits), else None."""
        span = trace.get_current_span()
        if not span.is_recording():
            return None
        return format(span.get_span_context().trace_id, "032x")

    def set_attribute(self, key: str, value: Any) -> None:
        """Set an attribute on the current span, if it records and the value is primitive."""
        span = trace.get_current_span()
        if span.is_recording() and _primitive(value):
            span.set_attribute(key, value)

    def add_event(self, name: str, attributes: dict[str, Any] | None = None) -> None:
        """Add an event to the current span, if it records."""
        span = trace.get_current_span()
        if not span.is_recording():
            return
        if attributes:
            span.add_event(name, attributes=attributes)
        else:
            span.add_event(name)

    def as_tracing_provider(self) -> OpenTelemetryTracing:
        """This tracer as the observability hooks' `TracingProvider`."""
        from orchestrix.infrastructure.observability.tracing_provider import (
            OpenTelemetryTracing,
        )

        return OpenTelemetryTracing(self)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export the spans ended so far now (the batch processor otherwise waits)."""
        provider = self.tracer_provider or trace.get_tracer_provider()
        flush = getattr(provider, "force_flush", None)
        return bool(flush(timeout_millis)) if flush is not None else True

    def shutdown(self) -> None:
        """Flush and stop this tracer's provider (when `init_tracing` built it)."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()


def _set_attributes(span: Span, attributes: dict[str, Any] | None) -> None:
    for key, value in (attributes or {}).items():
        if _primitive(value):
            span.set_attribute(key, value)


def _mark_failed(span: Span, error: Exception) -> None:
    span.set_attribute("error", True)
    span.set_attribute("error.type", type(error).__name__)
    span.set_attribute("error.message", str(error))


def _event(event_type: str, event_id: str, aggregate_id: str) -> dict[str, Any]:
    return {"event.type": event_type, "event.id": event_id, "aggregate.id": aggregate_id}


def _command(command_type: str, aggregate_id: str) -> dict[str, Any]:
    return {"command.type": command_type, "aggregate.id": aggregate_id}


_initialized: TracerProvider | None = None


def init_tracing(
    config: TracingConfig | None = None,
    service_name: str = "orchestrix",
    jaeger_agent_host: str = "localhost",
    jaeger_agent_port: int = 6831,
) -> JaegerTracer:
    """Set up the OpenTelemetry SDK exporting over OTLP; the tracer that uses it.

    The provider becomes the process-wide OpenTelemetry provider if none was set yet (so
    other instrumentation joins the same traces); each call builds its own, so a second
    call with another configuration takes effect for the tracers it returns.
    """
    _require()
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from orchestrix.infrastructure.observability._otlp import sampler, span_exporter

    global _initialized  # noqa: PLW0603 - the provider `get_tracer` hands out
    if config is None:
        config = TracingConfig(
            service_name=service_name,
            jaeger_agent_host=jaeger_agent_host,
            jaeger_agent_port=jaeger_agent_port,
        )
    provider = opentelemetry.sdk.trace.TracerProvider(
        sampler=sampler(config),
        resource=Resource.create({"service.name": config.service_name}),
    )
    provider.add_span_processor(BatchSpanProcessor(span_exporter(config)))
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    _initialized = provider
    return JaegerTracer(tracer_provider=provider)


def get_tracer() -> JaegerTracer:
    """A new tracer on the provider of the last `init_tracing` (else the global one)."""
    return JaegerTracer(tracer_provider=_initialized)


__all__ = ["HAS_JAEGER", "JaegerTracer", "TracingConfig", "get_tracer", "init_tracing"]
