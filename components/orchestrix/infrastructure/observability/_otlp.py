"""The OTLP span exporter and the sampler a `TracingConfig` asks for.

Explicit configuration wins, then the standard `OTEL_EXPORTER_OTLP_*` variables (read by the
exporters themselves), then the collector on the configured Jaeger host.
"""

from __future__ import annotations

import logging
import os

from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)

from orchestrix.infrastructure.observability._extra import INSTALL_HINT
from orchestrix.infrastructure.observability.jaeger import TracingConfig

_logger = logging.getLogger("orchestrix.observability")

HTTP_PORT = 4318
GRPC_PORT = 4317
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_PROTOCOL_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")


def protocol(config: TracingConfig) -> str:
    """`http/protobuf` or `grpc`: the configuration's, else the environment's, else HTTP."""
    if config.otlp_protocol is not None:
        return config.otlp_protocol
    for variable in _PROTOCOL_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return "grpc" if value == "grpc" else "http/protobuf"
    return "http/protobuf"


def endpoint(config: TracingConfig, chosen: str) -> str | None:
    """The explicit endpoint; None when a variable names one; else the Jaeger host's."""
    if config.otlp_endpoint is not None:
        return config.otlp_endpoint
    if any(os.environ.get(variable, "").strip() for variable in _ENDPOINT_VARIABLES):
        return None
    host = config.jaeger_agent_host
    if chosen == "grpc":
        return f"http://{host}:{GRPC_PORT}"
    return f"http://{host}:{HTTP_PORT}/v1/traces"


def span_exporter(config: TracingConfig) -> SpanExporter:
    chosen = protocol(config)
    headers = dict(config.otlp_headers) if config.otlp_headers is not None else None
    if chosen == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError as error:
            hint = INSTALL_HINT.replace("[observability]", "[observability-grpc]")
            raise ImportError(f"The OTLP gRPC exporter is not installed. {hint}") from error
        return GrpcExporter(
            endpoint=endpoint(config, chosen), headers=headers, timeout=config.otlp_timeout
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    return HttpExporter(
        endpoint=endpoint(config, chosen), headers=headers, timeout=config.otlp_timeout
    )


def sampler(config: TracingConfig) -> Sampler | None:
    """The sampler the Jaeger fields name; None (the SDK's default, which reads
    `OTEL_TRACES_SAMPLER`) for the default constant sampler that samples everything."""
    kind, param = config.jaeger_sampler_type, config.jaeger_sampler_param
    if kind == "const":
        return None if param else ParentBased(ALWAYS_OFF)
    if kind == "probabilistic":
        return ParentBased(TraceIdRatioBased(param))
    _logger.warning("Sampler type %r has no OpenTelemetry equivalent: sampling everything", kind)
    return ParentBased(ALWAYS_ON)


__all__ = ["GRPC_PORT", "HTTP_PORT", "endpoint", "protocol", "sampler", "span_exporter"]
